"""Bulk actions on the admin item list: publish, unpublish, archive, delete drafts.

Each item goes through the same service function as the editor's buttons
(``service.change_status``), so every rule, audit entry and cache stamp applies
one item at a time; an item the action does not fit is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.admin import audit, review
from comms.admin.attachments import image_hash, release
from comms.admin.models import User
from comms.admin.service import change_status
from comms.catalogue.models import Item
from comms.errors import CommsError, ValidationFailed
from comms.storage import MediaStore

BULK_ACTIONS = ("publish", "unpublish", "archive", "delete")
MAX_BULK = 200  # ids in one request: more than one page of the list never needs
PAST = {"publish": "published", "unpublish": "unpublished", "archive": "archived",
        "delete": "deleted"}  # fmt: skip


@dataclass(frozen=True)
class Refusal:
    """An item the action was not applied to, and why."""

    title: str
    reason: str


@dataclass
class BulkResult:
    """What a bulk action did: the items changed and those refused."""

    action: str
    done: list[Item] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # titles of deleted drafts
    refused: list[Refusal] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many items the action was applied to."""
        return len(self.done) + len(self.deleted)


def parse_ids(raw: Sequence[str]) -> list[int]:
    """The checked rows' ids, in order and once each; a bad value is refused."""
    ids: list[int] = []
    for value in raw:
        if not value.isdigit() or len(value) > 10:
            raise ValidationFailed([f"ids: {value[:20]!r} is not an item id"])
        if int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise ValidationFailed(["ids: tick at least one item"])
    if len(ids) > MAX_BULK:
        raise ValidationFailed([f"ids: at most {MAX_BULK} items at once"])
    return ids


def _why_not(item: Item, action: str, now: datetime) -> str | None:
    """Why ``action`` does not fit ``item`` (None when it does)."""
    scheduled = item.status == "published" and (item.published_at or now) > now
    if action == "publish" and item.status == "published" and not scheduled:
        return "already published"
    if action == "unpublish" and item.status == "draft":
        return "already a draft"
    if action == "archive" and item.status == "archived":
        return "already archived"
    if action == "delete" and item.status != "draft":
        state = "scheduled" if scheduled else item.status
        return f"{state}: only drafts can be deleted; unpublish it first"
    return None


def apply(
    session: Session,
    actor: User,
    store: MediaStore,
    ids: Sequence[int],
    action: str,
    *,
    now: datetime,
    review_required: bool = False,
) -> BulkResult:
    """Apply ``action`` to each item of ``ids``; one audit entry and commit per item.

    With ``review_required`` an editor's publish waits for an admin, as in the
    editor: such items are reported as refused, with the reason.
    """
    if action not in BULK_ACTIONS:
        raise ValidationFailed([f"action: use one of {', '.join(BULK_ACTIONS)}"])
    found = {
        item.id: item for item in session.scalars(select(Item).where(Item.id.in_(ids)))
    }
    result = BulkResult(action)
    for item_id in ids:
        item = found.get(item_id)
        if item is None:
            result.refused.append(Refusal(f"item {item_id}", "no such item"))
            continue
        title = item.display_title
        reason = _why_not(item, action, now)
        if reason is not None:
            result.refused.append(Refusal(title, reason))
            continue
        try:
            if action == "delete":
                delete_draft(session, actor, store, item, now=now)
                result.deleted.append(title)
            else:
                changed = change_status(
                    session,
                    actor,
                    item_id,
                    action,
                    when=None,
                    now=now,
                    review_required=review_required,
                )
                if action in review.REVIEWED_ACTIONS and review.is_pending(
                    session, item_id
                ):
                    reason = "sent for review: an administrator will approve it"
                    result.refused.append(Refusal(title, reason))
                else:
                    result.done.append(changed)
        except CommsError as exc:  # a rule of the service said no
            session.rollback()
            result.refused.append(Refusal(title, str(exc)))
    return result


def delete_draft(
    session: Session, actor: User, store: MediaStore, item: Item, *, now: datetime
) -> None:
    """Delete a draft item for good; its files' bytes go once nothing uses them."""
    if item.status != "draft":
        raise ValidationFailed([f"{item.display_title}: only drafts can be deleted"])
    stored = [f.sha256 for f in item.files]
    if (sha := image_hash(item.image)) is not None:
        stored.append(sha)
    audit.record(
        session, actor, "delete", item, before=audit.item_snapshot(item), after=None,
        now=now,
    )  # fmt: skip
    session.delete(item)
    session.commit()
    for sha256 in stored:
        release(session, store, sha256)
