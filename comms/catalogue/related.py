"""Beside an item on its page: related items, and the file a report's cover is of."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased, joinedload, lazyload
from sqlalchemy.sql.expression import Exists

from comms.catalogue.models import Item, ItemRegion, ItemTag, ReportFile
from comms.catalogue.service import one_version, reachable, visible
from comms.errors import NotFound
from comms.kinds.video import listed

RELATED_LIMIT = 4
REGION_WEIGHT = 3
# How many of the public items published up to the item's date the first, cheap
# query looks through for items sharing every topic and region.
RECENT_WINDOW = 1_000
# Before any item's date: where the window starts when it reaches the first item.
DAWN = datetime(1, 1, 1, tzinfo=UTC)


def related_items(
    session: Session,
    item: Item,
    *,
    default_language: str,
    now: datetime,
    limit: int = RELATED_LIMIT,
    video_types: Sequence[str] | None = None,
) -> list[Item]:
    """A few public items published up to ``item`` sharing a topic or a region.

    Those sharing the most come first (a region counts as much as three topics),
    the nearest to the item in time among equals (the newest of those published
    up to its date). One language version each: the item's language, else the
    site's default; an item in neither (another language only) is left out, as
    are the item's own versions, drafts, scheduled and archived items.

    Only items published up to the item's date (Hugo's related content does the
    same by default): an item from two years ago lists what led up to it rather
    than the same few newest items as every other page on its topic, and a new
    item joins no older page's list, so a publish leaves every page on its topic
    as it was (the static export does not render them again; the topic's listing
    and feeds show what is new).

    The first query walks the public index back from the item's date, through
    ``RECENT_WINDOW`` items at most, for those sharing every topic and region (the
    highest score there is), stopping at ``limit``: when it finds that many, they
    are the answer. When the window reaches back to the catalogue's first item,
    the second scores the window's items, which are then all there is. Otherwise
    the last scores every item sharing anything in one ``GROUP BY`` over the tag
    and region name indexes.
    """
    tags, regions = item.tag_names, item.region_names
    if not tags and not regions:
        return []
    types = None if video_types is None else tuple(video_types)
    shape = (item.language, default_language, len(tags), len(regions), types, limit)
    values: dict[str, Any] = {
        "now": now,
        # Published at the item's date or before, and due: one upper bound (with
        # two, SQLite may start from the later and step through every item
        # between them).
        "upto": min(item.published_at or now, now),
        "kind": item.kind,
        "translation": item.translation,
        "tags": list(tags),
        "regions": list(regions),
        "window": RECENT_WINDOW - 1,
        "dawn": DAWN,
        **{f"tag_{n}": name for n, name in enumerate(tags)},
        **{f"region_{n}": name for n, name in enumerate(regions)},
    }
    best = list(session.scalars(_sharing_all(*shape), values).unique())
    if len(best) == limit:
        # Nothing scores higher, and the window holds the newest public items
        # up to the item's date: the same answer as the full ranking below.
        return best
    early = session.execute(_scored_window(*shape), values).unique().all()
    if early and early[0][1] is None:  # the window holds every item up to its date
        return [row[0] for row in early]
    return list(session.scalars(_ranked(*shape), values).unique())


# Both statements are built once per shape (the languages, how many topics and
# regions, the video types, the limit) with bind parameters for the values: an
# item page then pays for running them, not for building and compiling SQL.
Shape = tuple[str, str, int, int, tuple[str, ...] | None, int]


def _conditions(
    language: str, default: str, types: tuple[str, ...] | None
) -> list[ColumnElement[bool]]:
    """Public, published up to the item's date, one version each in the page's
    languages, not the item itself."""
    now: Any = bindparam("now")
    conditions = [
        visible(Item, bindparam("upto")),
        Item.language.in_(sorted({language, default})),
        ~and_(
            Item.kind == bindparam("kind"),
            Item.translation == bindparam("translation"),
        ),
        one_version(language, default, now),
    ]
    if types is not None:
        conditions.append(listed(Item, types))
    return conditions


# The page shows a related item's title, kind, date and picture (a report's from
# its files, joined: no second statement): its topics, regions and deliverables
# are not loaded.
UNSHOWN = (
    lazyload(Item.tags),
    lazyload(Item.regions),
    lazyload(Item.deliverables),
    joinedload(Item.files),
)


def _oldest() -> Any:
    """The date of the window's oldest item: the items from that date on are a
    prefix of the ranking's date order, whatever the date (NULL when fewer lie
    before the item's date: the window reaches the first). Read from the public
    index alone."""
    recent = aliased(Item)
    return (
        select(recent.published_at)
        .where(recent.status == "published", recent.published_at <= bindparam("upto"))
        .order_by(recent.published_at.desc())
        .limit(1)
        .offset(bindparam("window"))
        .scalar_subquery()
    )


def _sharing(tags: int, regions: int) -> list[tuple[Exists, int]]:
    """Each topic and region of the item shared, with its weight."""
    return [
        (
            exists().where(
                ItemTag.item_id == Item.id, ItemTag.name == bindparam(f"tag_{n}")
            ),
            1,
        )
        for n in range(tags)
    ] + [
        (
            exists().where(
                ItemRegion.item_id == Item.id,
                ItemRegion.name == bindparam(f"region_{n}"),
            ),
            REGION_WEIGHT,
        )
        for n in range(regions)
    ]


@functools.lru_cache(maxsize=128)
def _sharing_all(*shape: Any) -> Select[Item]:
    """The newest public items of the window sharing every topic and region."""
    language, default, tags, regions, types, limit = shape
    return (
        select(Item)
        .where(
            Item.published_at >= func.coalesce(_oldest(), bindparam("dawn")),
            *(shared for shared, _ in _sharing(tags, regions)),
            *_conditions(language, default, types),
        )
        .order_by(Item.published_at.desc(), Item.id.desc())
        .limit(limit)
        .options(*UNSHOWN)
    )


@functools.lru_cache(maxsize=128)
def _scored_window(*shape: Any) -> Select[Item, datetime | None]:
    """The window's public items sharing something, ranked, each with the date
    of the window's oldest item (NULL: the window holds every item)."""
    language, default, tags, regions, types, limit = shape
    oldest = _oldest()
    sharing = _sharing(tags, regions)
    score = sum(
        (case((shared, weight), else_=0) for shared, weight in sharing), literal(0)
    )
    return (
        select(Item, oldest)
        .where(
            Item.published_at >= func.coalesce(oldest, bindparam("dawn")),
            or_(*(shared for shared, _ in sharing)),
            *_conditions(language, default, types),
        )
        .order_by(score.desc(), Item.published_at.desc(), Item.id.desc())
        .limit(limit)
        .options(*UNSHOWN)
    )


@functools.lru_cache(maxsize=128)
def _ranked(*shape: Any) -> Select[Item]:
    """Every public item up to the item's date sharing something, the most shared
    first, then the newest."""
    language, default, tags, regions, types, limit = shape
    weights: list[Any] = []
    if tags:
        weights.append(
            select(ItemTag.item_id.label("item_id"), literal(1).label("weight"))
            .where(ItemTag.name.in_(bindparam("tags", expanding=True)))
        )  # fmt: skip
    if regions:  # the same region relates more closely than a shared topic
        weights.append(
            select(
                ItemRegion.item_id.label("item_id"),
                literal(REGION_WEIGHT).label("weight"),
            ).where(ItemRegion.name.in_(bindparam("regions", expanding=True)))
        )
    both: Any = union_all(*weights) if len(weights) > 1 else weights[0]
    rows = both.subquery()
    scores = (
        select(rows.c.item_id, func.sum(rows.c.weight).label("score"))
        .group_by(rows.c.item_id)
        .subquery()
    )
    return (
        select(Item)
        .join(scores, scores.c.item_id == Item.id)
        .where(*_conditions(language, default, types))
        .order_by(scores.c.score.desc(), Item.published_at.desc(), Item.id.desc())
        .limit(limit)
        .options(*UNSHOWN)
    )


def cover_file(session: Session, slug: str, *, now: datetime) -> ReportFile:
    """The first file of the report with this slug whose page answers now."""
    found = session.scalars(
        select(ReportFile)
        .join(Item)
        .where(Item.kind == "report", Item.slug == slug, reachable(now))
        .order_by(Item.language, ReportFile.position)
        .limit(1)
    ).first()
    if found is None:
        raise NotFound(f"no report {slug!r} with a file")
    return found
