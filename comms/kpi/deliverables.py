"""Figures per deliverable of the register: its outputs' views, downloads, videos.

Views are the item page's counted visits (its path, all language versions sharing
a slug), downloads the counted file downloads of a report, video views YouTube's
count at the last sync. Outputs are the items linked to the deliverable.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms import kinds
from comms.admin.models import ReviewRequest
from comms.catalogue import register
from comms.catalogue.models import Deliverable, Item
from comms.kpi import counting
from comms.kpi.indicators import (
    EARLIEST,
    LATEST,
    Period,
    counted,
    downloads_by_slug,
)

ALL_TIME = Period(EARLIEST, LATEST, "all time")


@dataclass(frozen=True)
class Output:
    """One linked item with its figures."""

    item: Item
    state: str  # draft, scheduled, published, archived
    versions: tuple[str, ...]  # the languages of its translation group
    views: int
    downloads: int
    video_views: int | None


def state_of(item: Item, now: datetime) -> str:
    """The item's publication state as the officers read it."""
    if item.status == "published" and item.published_at and item.published_at > now:
        return "scheduled"
    return item.status


def outputs(
    session: Session,
    deliverable: Deliverable,
    *,
    now: datetime,
    period: Period = ALL_TIME,
) -> list[Output]:
    """The deliverable's outputs with their figures over ``period``."""
    items = register.outputs(session, deliverable)
    views = counted(session, counting.ITEM_VIEW, period)
    downloads = downloads_by_slug(counted(session, counting.DOWNLOAD, period))
    groups = {(i.kind, i.translation) for i in items}
    versions: dict[tuple[str, str], list[str]] = defaultdict(list)
    if groups:
        for kind, translation, language in session.execute(
            select(Item.kind, Item.translation, Item.language)
            .where(Item.translation.in_({t for _k, t in groups}))
            .order_by(Item.language)
        ):
            if (kind, translation) in groups:
                versions[(kind, translation)].append(language)
    return [
        Output(
            item=item,
            state=state_of(item, now),
            versions=tuple(versions[(item.kind, item.translation)]),
            views=views.get(f"{item.plural}/{item.slug}", 0),
            downloads=downloads.get(item.slug, 0)
            if kinds.get(item.kind).has_files
            else 0,
            video_views=item.view_count if item.kind == "video" else None,
        )
        for item in items
    ]


def in_review(session: Session, item_ids: list[int]) -> set[int]:
    """Which of these items wait in the review queue (COMMS_REVIEW_REQUIRED)."""
    if not item_ids:
        return set()
    return set(
        session.scalars(
            select(ReviewRequest.item_id).where(
                ReviewRequest.item_id.in_(item_ids), ReviewRequest.state == "pending"
            )
        )
    )
