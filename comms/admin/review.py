"""The optional review step (COMMS_REVIEW_REQUIRED): requests, the queue, send-back.

While an item has a pending request it is "in review": its status is untouched (a
draft stays a draft), so it is never public. ``service.change_status`` decides when
a request is made and ``service.approve_review`` carries one out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from comms.admin import audit
from comms.admin.models import ReviewRequest, User
from comms.catalogue.models import Item
from comms.errors import NotFound, ValidationFailed

REVIEWED_ACTIONS = ("publish", "schedule")
COMMENT_LIMIT = 2000


@dataclass(frozen=True)
class QueueEntry:
    """A pending request with its item."""

    request: ReviewRequest
    item: Item

    @property
    def changed_since(self) -> bool:
        """True when the item was saved again after review was asked."""
        return self.item.version != self.request.item_version


def needs_review(actor: User, action: str, *, review_required: bool) -> bool:
    """True when this officer's action must wait for an admin."""
    return review_required and action in REVIEWED_ACTIONS and not actor.is_admin


def for_item(session: Session, item_id: int) -> ReviewRequest | None:
    """The item's review request (pending or sent back), if any."""
    return session.scalars(
        select(ReviewRequest).where(ReviewRequest.item_id == item_id)
    ).first()


def is_pending(session: Session, item_id: int) -> bool:
    """True while the item waits in the review queue."""
    found = for_item(session, item_id)
    return found is not None and found.state == "pending"


def ask(
    session: Session,
    actor: User,
    item: Item,
    action: str,
    when: datetime | None,
    now: datetime,
) -> ReviewRequest:
    """Put the item in review for ``action`` (no commit); a new ask replaces the old."""
    found = for_item(session, item.id) or ReviewRequest(item_id=item.id)
    found.action, found.publish_at, found.state = action, when, "pending"
    found.requested_by_id, found.requested_by = actor.id, actor.email
    found.requested_at, found.item_version = now, item.version
    found.comment, found.decided_by, found.decided_at = "", None, None
    session.add(found)
    asked = f" at {when:%Y-%m-%d %H:%M} UTC" if when else ""
    audit.record(session, actor, "review-request", item, before=None, after=None,
                 summary=f"{item.kind} {item.slug}.{item.language}: "
                 f"{action}{asked} asked for review", now=now)  # fmt: skip
    return found


def forget(session: Session, item_id: int) -> None:
    """Drop the item's request (its status was changed directly); no commit."""
    session.execute(delete(ReviewRequest).where(ReviewRequest.item_id == item_id))


def queue(session: Session) -> list[QueueEntry]:
    """Pending requests, oldest first."""
    rows = session.execute(
        select(ReviewRequest, Item)
        .join(Item, Item.id == ReviewRequest.item_id)
        .where(ReviewRequest.state == "pending")
        .order_by(ReviewRequest.requested_at, ReviewRequest.id)
    ).all()
    return [QueueEntry(request, item) for request, item in rows]


def pending_request(session: Session, request_id: int) -> ReviewRequest:
    """A pending request by id; NotFound when decided already or unknown."""
    found = session.get(ReviewRequest, request_id)
    if found is None or found.state != "pending":
        raise NotFound(f"no pending review request {request_id}")
    return found


def check_reviewer(actor: User) -> None:
    """Only an admin decides on a review request."""
    if not actor.is_admin:
        raise ValidationFailed(["review: only an administrator approves or returns"])


def send_back(
    session: Session, actor: User, request_id: int, comment: str, now: datetime
) -> ReviewRequest:
    """Return the item to its editor with a comment (required); commit."""
    check_reviewer(actor)
    found = pending_request(session, request_id)
    text = comment.strip().replace("\r\n", "\n")
    if not text:
        raise ValidationFailed(["comment: say what the editor should change"])
    if len(text) > COMMENT_LIMIT:
        raise ValidationFailed([f"comment: at most {COMMENT_LIMIT} characters"])
    found.state, found.comment = "returned", text
    found.decided_by, found.decided_at = actor.email, now
    item = session.get(Item, found.item_id)
    if item is not None:
        audit.record(session, actor, "review-return", item, before=None, after=None,
                     summary=f"{item.kind} {item.slug}.{item.language}: "
                     f"sent back: {text[:200]}", now=now)  # fmt: skip
    session.commit()
    return found
