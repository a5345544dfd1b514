"""Beside an item on its page: related items, and the file a report's cover is of."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal, select, union
from sqlalchemy.orm import Session

from comms.catalogue.models import Item, ItemRegion, ItemTag, ReportFile
from comms.catalogue.service import one_version, reachable, visible
from comms.errors import NotFound
from comms.kinds.video import listed

RELATED_LIMIT = 4
REGION_WEIGHT = 3


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
    """
    tags, regions = item.tag_names, item.region_names
    if not tags and not regions:
        return []
    shared: list[Any] = [literal(0)]
    if tags:
        shared.append(
            select(func.count())
            .where(ItemTag.item_id == Item.id, ItemTag.name.in_(tags))
            .scalar_subquery()
        )
    if regions:  # the same region relates more closely than a shared topic
        shared.append(
            REGION_WEIGHT
            * select(func.count())
            .where(ItemRegion.item_id == Item.id, ItemRegion.name.in_(regions))
            .scalar_subquery()
        )
    score = sum(shared[1:], shared[0])
    # Only the items sharing something are scored (found through the name indexes),
    # not every public item of the catalogue.
    sharing = [select(ItemTag.item_id).where(ItemTag.name.in_(tags))] if tags else []
    if regions:
        sharing.append(select(ItemRegion.item_id).where(ItemRegion.name.in_(regions)))
    languages = sorted({item.language, default_language})
    stmt = select(Item).where(
        Item.id.in_(union(*sharing) if len(sharing) > 1 else sharing[0]),
        visible(Item, now),
        one_version(item.language, default_language, now),
        Item.language.in_(languages),
        ~and_(Item.kind == item.kind, Item.translation == item.translation),
        score > 0,
    )
    if video_types is not None:
        stmt = stmt.where(listed(Item, video_types))
    stmt = stmt.order_by(score.desc(), Item.published_at.desc(), Item.id.desc())
    return list(session.scalars(stmt.limit(limit)))


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
