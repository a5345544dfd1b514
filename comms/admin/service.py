"""Item editing for the admin: create, update, publish, translate and upload.

Every function takes a Session, checks its inputs, records an audit entry and
commits once; failures are comms.errors exceptions (or EditConflict).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from comms import kinds
from comms.admin import audit, review, revisions
from comms.admin.forms import ItemDraft
from comms.admin.models import User
from comms.catalogue import register
from comms.catalogue.models import Item, ItemRedirect, ItemRegion, ItemTag
from comms.errors import CommsError, NotFound, ValidationFailed
from comms.rendering import render_markdown

STATUS_ACTIONS = ("publish", "schedule", "unpublish", "archive")


class EditConflict(CommsError):
    """Someone else saved the item since this form was loaded."""


SORTS = ("updated", "published", "title")


@dataclass(frozen=True)
class ItemFilter:
    """Search, filters and order of the admin item list."""

    q: str = ""
    kind: str | None = None
    status: str | None = None
    language: str | None = None
    region: str | None = None
    tag: str | None = None
    sort: str = "updated"
    page: int = 1


@dataclass(frozen=True)
class ItemList:
    """One page of the admin item list, and how many items match in all."""

    items: list[Item]
    number: int
    has_next: bool
    total: int = 0
    page_size: int = 30

    @property
    def pages(self) -> int:
        """How many pages the matching items fill (at least one)."""
        return max(1, -(-self.total // self.page_size))


def _matching(wanted: ItemFilter, now: datetime) -> Select[Any]:
    stmt = select(Item)
    if wanted.kind:
        stmt = stmt.where(Item.kind == wanted.kind)
    if wanted.status == "scheduled":
        stmt = stmt.where(Item.status == "published", Item.published_at > now)
    elif wanted.status == "published":
        stmt = stmt.where(Item.status == "published", Item.published_at <= now)
    elif wanted.status:
        stmt = stmt.where(Item.status == wanted.status)
    if wanted.language:
        stmt = stmt.where(Item.language == wanted.language)
    if wanted.region:
        stmt = stmt.where(Item.regions.any(ItemRegion.name == wanted.region))
    if wanted.tag:
        stmt = stmt.where(Item.tags.any(ItemTag.name == wanted.tag))
    if wanted.q:
        pattern = f"%{wanted.q.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(Item.title).like(pattern),
                func.lower(func.coalesce(Item.summary, "")).like(pattern),
                func.lower(Item.slug).like(pattern),
                func.lower(func.coalesce(Item.override_title, "")).like(pattern),
            )
        )
    return stmt


def _ordered(stmt: Select[Any], sort: str) -> Select[Any]:
    if sort == "title":
        return stmt.order_by(func.lower(Item.title), Item.id)
    if sort == "published":
        # Never-published items last, on both databases.
        return stmt.order_by(
            Item.published_at.is_(None), Item.published_at.desc(), Item.id.desc()
        )
    return stmt.order_by(Item.updated_at.desc(), Item.id.desc())


def search_items(
    session: Session, wanted: ItemFilter, *, now: datetime, page_size: int = 30
) -> ItemList:
    """Items of every state matching the filters, in the order asked for."""
    stmt = _matching(wanted, now)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        session.scalars(
            _ordered(stmt, wanted.sort)
            .offset((wanted.page - 1) * page_size)
            .limit(page_size + 1)
        )
    )
    return ItemList(
        rows[:page_size], wanted.page, len(rows) > page_size, int(total), page_size
    )


def filter_choices(session: Session) -> tuple[list[str], list[str]]:
    """The regions and tags items use, for the list's filters."""
    regions = session.scalars(
        select(ItemRegion.name).distinct().order_by(ItemRegion.name)
    )
    tags = session.scalars(select(ItemTag.name).distinct().order_by(ItemTag.name))
    return list(regions), list(tags)


def get_item(session: Session, item_id: int) -> Item:
    """The item with this id, in any state."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"no item {item_id}")
    return item


def language_versions(session: Session, item: Item) -> list[Item]:
    """Every language version of an item (itself included), by language."""
    return list(
        session.scalars(
            select(Item)
            .where(Item.kind == item.kind, Item.translation == item.translation)
            .order_by(Item.language)
        )
    )


def _check_unique(session: Session, item: Item) -> None:
    with session.no_autoflush:
        clash = _clash(session, item)
    if clash is not None:
        raise ValidationFailed(
            [f"slug: another {item.kind.replace('_', ' ')} in this language "
             f"already uses {item.slug!r}"]
        )  # fmt: skip


def _clash(session: Session, item: Item) -> int | None:
    return session.scalars(
        select(Item.id).where(
            Item.kind == item.kind,
            Item.id != (item.id or 0),
            or_(
                (Item.slug == item.slug) & (Item.language == item.language),
                (Item.translation == item.translation)
                & (Item.language == item.language),
            ),
        )
    ).first()


def _apply(item: Item, draft: ItemDraft) -> None:
    for name, value in draft.columns.items():
        if getattr(item, name) != value:
            setattr(item, name, value)
    if "body" in draft.columns:
        item.body_html = render_markdown(item.body)
    if draft.details:
        merged = {**(item.details or {}), **draft.details}
        item.details = {k: v for k, v in merged.items() if v not in (None, [], "")}
    if draft.tags is not None and [t.name for t in item.tags] != list(draft.tags):
        item.tags = [ItemTag(name=n, position=i) for i, n in enumerate(draft.tags)]
    if [r.name for r in item.regions] != list(draft.regions):
        item.regions = [
            ItemRegion(name=n, position=i) for i, n in enumerate(draft.regions)
        ]


def _link_deliverables(session: Session, item: Item, draft: ItemDraft) -> None:
    """Link the item to the ticked deliverables (a report's own code included)."""
    if draft.deliverables is None:
        return
    with session.no_autoflush:
        known = {d.code for d in register.deliverables(session)}
        codes = register.link_codes(item, draft.deliverables, known)
        register.set_links(item, register.resolve(session, codes))


def create_item(
    session: Session,
    actor: User,
    draft: ItemDraft,
    now: datetime,
    *,
    then: Callable[[Item], None] | None = None,
    autosave: bool = False,
) -> Item:
    """A new draft item from the editor's values, with its first revision.

    ``then`` makes further changes (the files sent with the text) in the same commit.
    """
    kind = kinds.find(draft.kind)
    if kind is None or kind.synced:
        raise NotFound(f"items of kind {draft.kind!r} cannot be created here")
    item = Item(kind=draft.kind, status="draft", details={}, created_at=now)
    item.tags, item.regions = [], []
    _apply(item, draft)
    item.translation = item.slug
    item.updated_at = now
    item.deliverables = []
    _link_deliverables(session, item, draft)
    _check_unique(session, item)
    session.add(item)
    if then is not None:
        then(item)
    session.flush()
    audit.record(session, actor, "create", item, before=None,
                 after=audit.item_snapshot(item), now=now)  # fmt: skip
    revisions.record(session, actor, item, now, autosave=autosave)
    session.commit()
    return item


def update_item(
    session: Session,
    actor: User,
    item_id: int,
    draft: ItemDraft,
    *,
    expected_version: int | None,
    now: datetime,
    then: Callable[[Item], None] | None = None,
    autosave: bool = False,
    action: str = "update",
    note: str = "",
) -> Item:
    """Save the editor's values unless someone else saved the item in between.

    ``then`` makes further changes (the files sent with the text) in the same commit.
    Every save keeps a revision; an ``autosave`` keeps drafts only and folds into
    the officer's last autosave revision.
    """
    item = get_item(session, item_id)
    if expected_version is None or item.version != expected_version:
        raise EditConflict(_conflict_message(item))
    if autosave and item.status != "draft":
        raise ValidationFailed(
            ["autosave: only drafts are saved in the background; press Save to "
             "change a published, scheduled or archived item"]
        )  # fmt: skip
    before = audit.item_snapshot(item)
    old_slug = item.slug
    _apply(item, draft)
    _link_deliverables(session, item, draft)
    _check_unique(session, item)
    if item.slug != old_slug:
        _keep_old_address(session, item, old_slug)
    if then is not None:
        then(item)
    # Always an UPDATE, so the version always moves on; readers see a revision.
    item.updated_at = item.revised_at = now
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise EditConflict(_conflict_message(get_item(session, item_id))) from None
    record_change(session, actor, action, item, before, now)
    revisions.record(session, actor, item, now, autosave=autosave, note=note)
    session.commit()
    return item


def _keep_old_address(session: Session, item: Item, old_slug: str) -> None:
    """Make the item's old slug redirect to it (and its new slug redirect nowhere)."""
    # The item's own changes are flushed later, inside update_item's conflict check.
    with session.no_autoflush:
        session.execute(
            delete(ItemRedirect).where(
                ItemRedirect.kind == item.kind,
                ItemRedirect.language == item.language,
                ItemRedirect.slug.in_((old_slug, item.slug)),
            )
        )
    session.add(
        ItemRedirect(
            kind=item.kind, slug=old_slug, language=item.language, item_id=item.id
        )
    )


def _conflict_message(item: Item) -> str:
    return (
        f"Someone else saved this item at {item.updated_at:%Y-%m-%d %H:%M} UTC "
        "since you opened it. Your text is kept below: copy what you need, "
        "reload the item and apply your changes again."
    )


def record_change(
    session: Session, actor: User, action: str, item: Item, before: Any, now: datetime
) -> None:
    """Audit ``action`` on ``item`` with its before and after snapshots."""
    after = audit.item_snapshot(item)
    changed = audit.changed_keys(before, after)
    audit.record(session, actor, action, item, before=before, after=after,
                 summary=f"{item.kind} {item.slug}.{item.language}: "
                 f"{', '.join(changed) or 'no change'}", now=now)  # fmt: skip


def change_status(
    session: Session,
    actor: User,
    item_id: int,
    action: str,
    *,
    when: datetime | None,
    now: datetime,
    review_required: bool,
) -> Item:
    """Publish now, schedule at ``when``, unpublish (back to draft) or archive.

    With ``review_required`` (COMMS_REVIEW_REQUIRED) an editor's publish or
    schedule puts the item in review instead: nothing about it changes until an
    admin approves (``approve_review``). Every door goes through here.
    """
    item = get_item(session, item_id)
    if action not in STATUS_ACTIONS:
        raise NotFound(f"no action {action!r}")
    if action == "schedule" and when is None:
        raise ValidationFailed(["published_at: give a date and time (UTC)"])
    if review.needs_review(actor, action, review_required=review_required):
        review.ask(session, actor, item, action, when, now)
        session.commit()
        return item
    review.forget(session, item.id)
    _apply_status(session, actor, item, action, when, now)
    session.commit()
    return item


def _apply_status(
    session: Session,
    actor: User,
    item: Item,
    action: str,
    when: datetime | None,
    now: datetime,
) -> None:
    before = audit.item_snapshot(item)
    if action == "publish":
        item.status = "published"
        if item.published_at is None or item.published_at > now:
            item.published_at = now
    elif action == "schedule":
        item.status, item.published_at = "published", when
    elif action == "unpublish":
        item.status = "draft"
    elif action == "archive":
        item.status = "archived"
        item.published_at = item.published_at or now
    item.updated_at = now
    record_change(session, actor, action, item, before, now)


def approve_review(
    session: Session, actor: User, request_id: int, *, now: datetime
) -> Item:
    """An admin approves a review request: publish or schedule as the editor asked."""
    review.check_reviewer(actor)
    asked = review.pending_request(session, request_id)
    item = get_item(session, asked.item_id)
    when = asked.publish_at
    if asked.action == "schedule" and when is not None and when <= now:
        when = now  # the asked time has passed while it waited: publish now
    _apply_status(session, actor, item, asked.action, when, now)
    audit.record(session, actor, "review-approve", item, before=None, after=None,
                 summary=f"{item.kind} {item.slug}.{item.language}: "
                 f"{asked.action} asked by {asked.requested_by} approved",
                 now=now)  # fmt: skip
    session.delete(asked)
    session.commit()
    return item


def add_translation(
    session: Session, actor: User, item_id: int, language: str, languages: Sequence[str]
) -> Item:
    """A draft copy of an item in another language, in the same translation group."""
    source = get_item(session, item_id)
    if language not in languages:
        raise ValidationFailed([f"language: use one of {', '.join(languages)}"])
    kind = kinds.get(source.kind)
    if kind.synced:
        raise ValidationFailed(["videos get their language versions from the sync"])
    own = {name: getattr(source, name) for name in kind.columns}
    copy = Item(
        kind=source.kind, slug=source.slug, language=language,
        translation=source.translation, title=source.title, summary=source.summary,
        body=source.body, body_html=source.body_html, status="draft",
        author=source.author, image=source.image, details=dict(source.details or {}),
        **own,
    )  # fmt: skip
    copy.tags = [ItemTag(name=t.name, position=t.position) for t in source.tags]
    copy.regions = [
        ItemRegion(name=r.name, position=r.position) for r in source.regions
    ]
    _check_unique(session, copy)
    session.add(copy)
    session.flush()
    audit.record(session, actor, "translate", copy, before=None,
                 after=audit.item_snapshot(copy),
                 summary=f"{copy.slug}.{language} from {source.language}",
                 now=copy.created_at)  # fmt: skip
    revisions.record(
        session, actor, copy, copy.created_at, note=f"from {source.language}"
    )
    session.commit()
    return copy


def known_tags(session: Session) -> list[str]:
    """Every topic some item carries, for the editor's suggestions."""
    return list(session.scalars(select(ItemTag.name).distinct().order_by(ItemTag.name)))
