"""The Videos page's figures: the catalogue's videos, the sync's runs and setup."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comms.catalogue.models import Item
from comms.config import Settings
from comms.errors import ConfigMissing
from comms.videos import push
from comms.videos.models import SyncRun
from comms.videos.service import last_runs
from comms.videos.youtube import check_settings

PAGE_SIZE = 50


@dataclass(frozen=True)
class VideoBoard:
    """Everything the Videos page shows."""

    videos: list[Item]
    total: int
    number: int
    has_next: bool
    runs: list[SyncRun]
    sync_problem: str | None  # why the sync cannot run (no key, no channel)
    push_lines: list[str] = field(default_factory=list)


def build(
    session: Session, settings: Settings, now: datetime, *, page: int = 1
) -> VideoBoard:
    """The page's videos (newest first), the last sync runs, the sync's setup."""
    page = max(1, page)
    rows = list(
        session.scalars(
            select(Item)
            .where(Item.kind == "video")
            .order_by(Item.published_at.desc().nulls_last(), Item.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    total = session.scalar(
        select(func.count()).select_from(Item).where(Item.kind == "video")
    )
    try:
        check_settings(settings)
        problem = None
    except ConfigMissing as exc:
        problem = str(exc)
    lease = push.current(session)
    return VideoBoard(
        videos=rows[:PAGE_SIZE],
        total=int(total or 0),
        number=page,
        has_next=len(rows) > PAGE_SIZE,
        runs=last_runs(session, limit=10),
        sync_problem=problem,
        push_lines=push.status_lines(lease, now) if lease is not None else [],
    )
