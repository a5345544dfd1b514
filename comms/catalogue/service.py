"""Catalogue queries: what the public may see, listings, item pages, downloads."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased, joinedload

from comms import kinds
from comms.catalogue.models import (
    KINDS,
    PLURAL_KINDS,
    Item,
    ItemRedirect,
    ItemRegion,
    ItemTag,
    ReportFile,
    modified_of,
)
from comms.errors import BadRequest, NotFound
from comms.kinds.video import listed

PAGE_NUMBER = re.compile(r"[0-9]{1,6}")
Filter = str | BindParameter[Any] | None


@dataclass(frozen=True)
class ListingQuery:
    """Filters of a public listing, validated."""

    kind: str | None = None
    tag: str | None = None
    region: str | None = None
    language: str = "en"
    page: int = 1
    fallbacks: tuple[str, ...] = ()
    # The video types listed (COMMS_VIDEO_PUBLIC_TYPES); None lists every type.
    video_types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Page:
    """One page of a listing."""

    items: list[Item]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        """True when a page comes before this one."""
        return self.number > 1


@dataclass(frozen=True)
class ItemPage:
    """An item as shown on its page, with its other language versions."""

    item: Item
    versions: list[Item]


def parse_kind(value: str | None) -> str | None:
    """Accept `report` or `reports`; raise BadRequest for anything else."""
    if value is None or value == "":
        return None
    if value in KINDS:
        return value
    if value in PLURAL_KINDS:
        return PLURAL_KINDS[value]
    raise BadRequest(f"unknown kind {value!r}; use one of {', '.join(KINDS)}")


def parse_page(value: str | None) -> int:
    """A page number of 1 or more; raise BadRequest otherwise."""
    if value is None or value == "":
        return 1
    if not PAGE_NUMBER.fullmatch(value) or int(value) < 1:
        raise BadRequest(f"page must be a whole number from 1; got {value!r}")
    return int(value)


def shown_kinds(entity: Any) -> list[ColumnElement[bool]]:
    """SQL conditions: each kind's own test of what the public sees (see Kind.shown).

    A synced video that went private or was deleted keeps its row with
    ``availability`` ``private`` or ``deleted``; the video kind's condition is what
    takes it off every public page, feed, search result, API answer and export.
    """
    return [
        or_(entity.kind != kind.name, kind.shown(entity))
        for kind in kinds.all_kinds()
        if kind.shown is not None
    ]


def visible(
    entity: Any, now: datetime | BindParameter[Any], *, by_index: bool = True
) -> ColumnElement[bool]:
    """SQL condition: published, due, and shown by its kind (a video not hidden).

    ``by_index=False`` keeps the database from walking the public items by status
    and date (``ix_item_public``) for a query with a better way in."""
    status: Any = entity.status if by_index else entity.status + ""
    return and_(
        status == "published",
        entity.published_at <= now,
        *shown_kinds(entity),
    )


def one_version(
    language: str, default: str, now: datetime, fallbacks: tuple[str, ...] = ()
) -> ColumnElement[bool]:
    """SQL condition keeping one language version per translation group.

    The requested language wins, then each fallback in order (the visitor's other
    accepted languages), then the site's default, then the lowest language code.
    """
    sibling = aliased(Item)

    def has_sibling(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(
            sibling.kind == Item.kind,
            sibling.translation == Item.translation,
            sibling.id != Item.id,
            visible(sibling, now),
            *conditions,
        )

    order: list[str] = []
    for lang in (language, *fallbacks, default):
        if lang not in order:
            order.append(lang)
    # Innermost: no preferred version exists, so the lowest language code wins.
    condition: ColumnElement[bool] = ~has_sibling(sibling.language < Item.language)
    for lang in reversed(order):
        condition = or_(
            Item.language == lang,
            and_(~has_sibling(sibling.language == lang), condition),
        )
    return condition


def filter_conditions(
    kind: Filter, tag: Filter, region: Filter
) -> list[ColumnElement[bool]]:
    """The listing filters as conditions on Item: one kind, carrying a tag, a region.

    Shared by the listings, the search and the API, so a filter means the same in each.
    A filter is a value, or a bind parameter in a statement built once for many values.
    """
    conditions: list[ColumnElement[bool]] = []
    if _given(kind):
        conditions.append(Item.kind == kind)
    if _given(tag):
        conditions.append(
            exists().where(ItemTag.item_id == Item.id, ItemTag.name == tag)
        )
    if _given(region):
        conditions.append(
            exists().where(ItemRegion.item_id == Item.id, ItemRegion.name == region)
        )
    return conditions


def names_in_use(
    session: Session,
    model: type[ItemTag] | type[ItemRegion],
    *,
    now: datetime,
    video_types: tuple[str, ...] | None = None,
) -> list[str]:
    """The tags (``ItemTag``) or regions (``ItemRegion``) that public items carry.

    ``video_types`` as in ``ListingQuery``: the videos the listing shows.

    Each distinct name (read from its index) is kept when one public item carries
    it, found by the same index: a few lookups per name, where joining every tag
    to its item read the whole catalogue (360 ms at 100,000 items on SQLite, 100
    ms on PostgreSQL; 2 and 23 ms this way).
    """
    names = select(model.name).distinct().subquery()
    holder = aliased(model)
    public = [Item.id == holder.item_id, visible(Item, now)]
    if video_types is not None:
        public.append(listed(Item, video_types))
    # Nested, so that the items are looked up by id from the name's index entries:
    # joined, SQLite may walk every public item for a name few carry (170 ms).
    carried = exists().where(holder.name == names.c.name, exists().where(*public))
    return sorted(session.scalars(select(names.c.name).where(carried)))


def _given(value: Filter) -> bool:
    return isinstance(value, BindParameter) or bool(value)


# A topic or region carried by this many items or fewer is listed from its name's
# index (see few_carrying).
FEW_CARRIERS = 1000


def few_carrying(session: Session, query: ListingQuery) -> list[ColumnElement[bool]]:
    """For a listing of a topic or region few items carry: the condition that
    reads those items by id from the name's index.

    A listing otherwise walks the public items newest first and stops at its
    page's last: quick when many items carry the name (the page fills soon), but
    for a name few carry it walks the whole catalogue (160 ms on SQLite at
    100,000 items for a topic of one item). Read from the name's index and
    sorted, the same page takes under 1 ms; for a name many carry, that read and
    sort would cost more (30 ms for a topic of 25,000 items) than the walk. Which
    is which is counted, up to ``FEW_CARRIERS`` index entries. The caller keeps
    the database from walking the public items meanwhile (``visible(...,
    by_index=False)``): else SQLite may walk them, testing each against the list.
    """
    conditions: list[ColumnElement[bool]] = []
    for model, name in ((ItemTag, query.tag), (ItemRegion, query.region)):
        if not name:
            continue
        carriers = select(model.item_id).where(model.name == name)
        counted = select(func.count()).select_from(
            carriers.limit(FEW_CARRIERS + 1).subquery()
        )
        if (session.scalar(counted) or 0) <= FEW_CARRIERS:
            conditions.append(Item.id.in_(carriers))
    return conditions


def list_items(
    session: Session,
    query: ListingQuery,
    *,
    default_language: str,
    now: datetime,
    page_size: int,
) -> Page:
    """One page of public items, newest first, one version per translation group."""
    few = few_carrying(session, query)
    stmt = select(Item).where(
        visible(Item, now, by_index=not few),
        one_version(query.language, default_language, now, query.fallbacks),
        *few,
    )
    stmt = stmt.where(*filter_conditions(query.kind, query.tag, query.region))
    if query.video_types is not None:
        stmt = stmt.where(listed(Item, query.video_types))
    stmt = (
        stmt.order_by(Item.published_at.desc(), Item.id.desc())
        .offset((query.page - 1) * page_size)
        .limit(page_size + 1)
    )
    rows = list(session.scalars(stmt))
    return Page(
        items=rows[:page_size], number=query.page, has_next=len(rows) > page_size
    )


@dataclass(frozen=True)
class EventsPage:
    """The events listing: every upcoming event (on page 1), then past ones paged."""

    upcoming: list[Item]
    past: Page


def event_end() -> ColumnElement[Any]:
    """SQL value: when an event is over (its end, else its start)."""
    return func.coalesce(Item.ends_at, Item.starts_at)


def list_events(
    session: Session,
    query: ListingQuery,
    *,
    default_language: str,
    now: datetime,
    page_size: int,
) -> EventsPage:
    """Upcoming events soonest first (on the first page), then past ones newest first.

    An event is upcoming until it is over, so one under way is still shown there.
    """
    stmt = select(Item).where(
        visible(Item, now),
        one_version(query.language, default_language, now, query.fallbacks),
        *filter_conditions("event", query.tag, query.region),
    )
    upcoming: list[Item] = []
    if query.page == 1:
        upcoming = list(
            session.scalars(
                stmt.where(event_end() >= now).order_by(
                    Item.starts_at.asc(), Item.id.asc()
                )
            )
        )
    rows = list(
        session.scalars(
            stmt.where(or_(event_end() < now, event_end().is_(None)))
            # an event without a start time goes by its publication time
            .order_by(
                func.coalesce(Item.starts_at, Item.published_at).desc(), Item.id.desc()
            )
            .offset((query.page - 1) * page_size)
            .limit(page_size + 1)
        )
    )
    past = Page(
        items=rows[:page_size], number=query.page, has_next=len(rows) > page_size
    )
    return EventsPage(upcoming=upcoming, past=past)


def reachable(
    now: datetime | BindParameter[Any], *, by_index: bool = True
) -> ColumnElement[bool]:
    """SQL condition: published or archived items due: their pages answer.

    ``by_index=False`` keeps the database from looking rows up by status and date
    (``ix_item_kind_public``) for a query with a better way in.
    """
    status: Any = Item.status if by_index else Item.status + ""
    return and_(
        status.in_(("published", "archived")),
        Item.published_at <= now,
        *shown_kinds(Item),
    )


def get_item_page(
    session: Session,
    kind: str,
    slug: str,
    *,
    wanted: list[str],
    default_language: str,
    now: datetime,
) -> ItemPage:
    """The version of kind/slug in the first wanted language it exists in."""
    related = list(
        session.scalars(
            _page_statement(), {"kind": kind, "slug": slug, "now": now}
        ).unique()
    )
    candidates = [c for c in related if c.slug == slug]
    if not candidates:
        raise NotFound(f"no {kind.replace('_', ' ')} {slug!r}")
    by_language = {c.language: c for c in candidates}
    chosen = next(
        (
            by_language[lang]
            for lang in [*wanted, default_language]
            if lang in by_language
        ),
        candidates[0],
    )
    versions = [v for v in related if v.translation == chosen.translation]
    return ItemPage(item=chosen, versions=versions)


@functools.lru_cache(maxsize=1)
def _page_statement() -> Select[Item]:
    """One query for the slug's items and every version of their translation groups
    with their tags, regions and files, joined: the page needs them all, and one
    statement of a few rows costs less than a statement per collection. Built once,
    with bind parameters for the kind, the slug and the time."""
    kind: BindParameter[str] = bindparam("kind")
    slug: BindParameter[str] = bindparam("slug")
    now: BindParameter[datetime] = bindparam("now")
    groups = select(Item.translation).where(Item.kind == kind, Item.slug == slug)
    return (
        select(Item)
        # An item with the slug is in its own translation group: no OR, which
        # PostgreSQL answered with a scan of every item (127 ms at 100,000).
        # Not by status: SQLite without statistics (before any ANALYZE) took
        # ix_item_kind_public and read every public item of the kind.
        .where(
            Item.kind == kind,
            Item.translation.in_(groups),
            reachable(now, by_index=False),
        )
        .order_by(Item.language, Item.id)
        .options(
            joinedload(Item.tags), joinedload(Item.regions), joinedload(Item.files)
        )
    )


def find_moved(
    session: Session,
    kind: str,
    slug: str,
    *,
    wanted: list[str],
    default_language: str,
    now: datetime,
    filename: str | None = None,
) -> Item | None:
    """The reachable item that once had this slug, in the first wanted language.

    Asked only when no item answers at the slug, so a new item that takes an old
    slug is never shadowed. With ``filename``, only an item holding that file.
    """
    query = (
        select(Item)
        .join(ItemRedirect, ItemRedirect.item_id == Item.id)
        .where(ItemRedirect.kind == kind, ItemRedirect.slug == slug, reachable(now))
        .order_by(Item.language, Item.id)
    )
    if filename is not None:
        query = query.where(
            exists().where(
                ReportFile.item_id == Item.id, ReportFile.filename == filename
            )
        )
    moved = list(session.scalars(query))
    by_language = {m.language: m for m in moved}
    for lang in [*wanted, default_language]:
        if lang in by_language:
            return by_language[lang]
    return moved[0] if moved else None


def find_download(
    session: Session, slug: str, filename: str, *, now: datetime
) -> ReportFile:
    """The file of a public report with this slug and name."""
    found = session.scalars(
        select(ReportFile)
        .join(Item)
        .where(
            Item.kind == "report",
            Item.slug == slug,
            reachable(now),
            ReportFile.filename == filename,
        )
        .limit(1)
    ).first()
    if found is None:
        raise NotFound(f"no file {filename!r} in report {slug!r}")
    return found


def count_download(session: Session, report_file: ReportFile) -> None:
    """Add one to a file's download counter (atomic in the database)."""
    session.execute(
        update(ReportFile)
        .where(ReportFile.id == report_file.id)
        .values(download_count=ReportFile.download_count + 1)
    )
    session.commit()


def catalogue_size(session: Session) -> int:
    """How many items the catalogue holds (all states)."""
    return int(session.scalar(select(func.count()).select_from(Item)) or 0)


@dataclass(frozen=True)
class SitemapEntry:
    """One URL of the sitemap: a public language version of an item, when it last
    changed for readers (``Item.modified``), and every version of its translation
    group whose page answers, as (language, slug) by language (the same set as
    the page's hreflang alternates; one tuple shared by the group's entries)."""

    kind: str
    slug: str
    language: str
    modified: datetime
    versions: tuple[tuple[str, str], ...]


def sitemap_size(session: Session, *, now: datetime) -> int:
    """How many item URLs the sitemap lists (every public language version)."""
    query = select(func.count()).select_from(Item).where(visible(Item, now))
    return int(session.scalar(query) or 0)


def sitemap_entries(
    session: Session, *, now: datetime, offset: int, limit: int
) -> list[SitemapEntry]:
    """Public items ``offset`` to ``offset + limit``, each with its public versions.

    A slice may cut a translation group, so the versions come from the database.
    Plain columns, not items: a sitemap file lists thousands of them.

    The slice's first id is counted out in the public index, then its rows read
    from there: skipping ``offset`` rows of the table itself read every row
    before them (120 ms for the last file at 100,000 items on SQLite, 27 ms so).
    """
    connection = session.connection()  # rows, not ORM entities: no loading
    first = (
        select(Item.id)
        .where(visible(Item, now))
        # ``id + 0``: not the table's own order, which SQLite would walk row by
        # row for its order rather than sort the ids the index holds
        .order_by(Item.id + 0)
        .offset(offset)
        .limit(1)
        .scalar_subquery()
    )
    rows = connection.execute(
        select(
            Item.kind, Item.translation, Item.slug, Item.language,
            Item.published_at, Item.created_at, Item.revised_at,
        )
        .where(visible(Item, now), Item.id >= first)
        .order_by(Item.id)  # a new item comes last: earlier slices stay as they are
        .limit(limit)
    ).all()  # fmt: skip
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {
        (row.kind, row.translation): [] for row in rows
    }
    translations = sorted({translation for _kind, translation in groups})
    for start in range(0, len(translations), 1000):
        versions = connection.execute(
            select(Item.kind, Item.translation, Item.language, Item.slug)
            .where(
                # archived versions answer too: the same set as the page's hreflang
                reachable(now),
                Item.translation.in_(translations[start : start + 1000]),
            )
            .order_by(Item.language, Item.id)
        )
        for kind, translation, language, slug in versions:
            group = groups.get((kind, translation))
            if group is not None:
                group.append((language, slug))
    shared = {key: tuple(group) for key, group in groups.items()}
    return [
        SitemapEntry(
            row.kind,
            row.slug,
            row.language,
            modified_of(row.published_at, row.created_at, row.revised_at),
            shared[(row.kind, row.translation)],
        )
        for row in rows
    ]
