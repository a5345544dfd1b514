"""Beside an item on its page: related items, and the file a report's cover is of."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased

from comms.catalogue.models import Item, ItemRegion, ItemTag, ReportFile
from comms.catalogue.service import one_version, reachable, visible
from comms.errors import NotFound
from comms.kinds.video import listed

RELATED_LIMIT = 4
REGION_WEIGHT = 3
# How many of the newest public items the first, cheap query looks through for
# items sharing every topic and region of the page's item.
RECENT_WINDOW = 1_000


def related_items(
    session: Session,
    item: Item,
    *,
    default_language: str,
    now: datetime,
    limit: int = RELATED_LIMIT,
    video_types: Sequence[str] | None = None,
) -> list[Item]:
    """A few public items sharing a topic or a region with ``item``.

    Those sharing the most come first (a region counts as much as three topics),
    newest first among equals. One language version each: the item's language,
    else the site's default; an item in neither (another language only) is left
    out, as are the item's own versions, drafts, scheduled and archived items.

    Two queries at most. The first looks among the newest public items for those
    sharing every topic and region (the highest score there is), walking the
    public index newest first and stopping at ``limit``: when it finds that many,
    they are the answer. Otherwise the second scores every item sharing anything
    in one ``GROUP BY`` over the tag and region name indexes.
    """
    tags, regions = item.tag_names, item.region_names
    if not tags and not regions:
        return []
    languages = sorted({item.language, default_language})
    conditions = [
        visible(Item, now),
        Item.language.in_(languages),
        ~and_(Item.kind == item.kind, Item.translation == item.translation),
        one_version(item.language, default_language, now),
    ]
    if video_types is not None:
        conditions.append(listed(Item, video_types))
    newest = (Item.published_at.desc(), Item.id.desc())
    recent = aliased(Item)
    window = (
        select(recent.id)
        .where(visible(recent, now))
        .order_by(recent.published_at.desc(), recent.id.desc())
        .limit(RECENT_WINDOW)
    )
    sharing_all = [
        exists().where(ItemTag.item_id == Item.id, ItemTag.name == name)
        for name in tags
    ] + [
        exists().where(ItemRegion.item_id == Item.id, ItemRegion.name == name)
        for name in regions
    ]
    best = list(
        session.scalars(
            select(Item)
            .where(Item.id.in_(window), *sharing_all, *conditions)
            .order_by(*newest)
            .limit(limit)
        )
    )
    if len(best) == limit:
        # Nothing scores higher, and the window holds the newest public items:
        # the same answer as the full ranking below.
        return best
    weights: list[Any] = []
    if tags:
        weights.append(
            select(ItemTag.item_id.label("item_id"), literal(1).label("weight"))
            .where(ItemTag.name.in_(tags))
        )  # fmt: skip
    if regions:  # the same region relates more closely than a shared topic
        weights.append(
            select(
                ItemRegion.item_id.label("item_id"),
                literal(REGION_WEIGHT).label("weight"),
            ).where(ItemRegion.name.in_(regions))
        )
    both: Any = union_all(*weights) if len(weights) > 1 else weights[0]
    rows = both.subquery()
    scores = (
        select(rows.c.item_id, func.sum(rows.c.weight).label("score"))
        .group_by(rows.c.item_id)
        .subquery()
    )
    stmt = (
        select(Item)
        .join(scores, scores.c.item_id == Item.id)
        .where(*conditions)
        .order_by(scores.c.score.desc(), *newest)
        .limit(limit)
    )
    return list(session.scalars(stmt))


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
