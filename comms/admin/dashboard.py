"""The admin dashboard's figures: drafts, scheduled items, recent changes, video
sync, subscribers and newsletters."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from comms.admin.models import AuditEntry
from comms.catalogue.models import Item, Newsletter
from comms.newsletter.report import LABELS, report_status
from comms.newsletter.service import count_subscribers
from comms.videos import push
from comms.videos.models import PushSubscription


@dataclass(frozen=True)
class IssueStatus:
    """A newsletter issue and how its sending went (deliveries by the report's
    label)."""

    issue: Newsletter
    deliveries: dict[str, int]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows."""

    drafts: list[Item]
    scheduled: list[Item]
    counts: dict[str, int]
    last_sync: dict[str, Any] | None
    issues: list[IssueStatus] = field(default_factory=list)
    push: PushSubscription | None = None  # the YouTube push lease, if set up
    scheduled_count: int = 0  # published with a date still to come
    recent: list[AuditEntry] = field(default_factory=list)
    subscribers: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        """Items in ``status``; "published" counts only what is public already."""
        if status == "scheduled":
            return self.scheduled_count
        n = self.counts.get(status, 0)
        return n - self.scheduled_count if status == "published" else n


def build_dashboard(session: Session, now: datetime, limit: int = 10) -> Dashboard:
    """The dashboard's figures at ``now``."""
    drafts = list(
        session.scalars(
            select(Item)
            .where(Item.status == "draft")
            .order_by(Item.updated_at.desc())
            .limit(limit)
        )
    )
    scheduled = list(
        session.scalars(
            select(Item)
            .where(Item.status == "published", Item.published_at > now)
            .order_by(Item.published_at)
            .limit(limit)
        )
    )
    counts = {
        str(status): int(n)
        for status, n in session.execute(
            select(Item.status, func.count()).group_by(Item.status)
        )
    }
    scheduled_count = session.scalar(
        select(func.count())
        .select_from(Item)
        .where(Item.status == "published", Item.published_at > now)
    )
    recent = session.scalars(
        select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(8)
    )
    return Dashboard(
        drafts,
        scheduled,
        counts,
        last_sync(session),
        issues(session),
        push=push.current(session),
        scheduled_count=int(scheduled_count or 0),
        recent=list(recent),
        subscribers=count_subscribers(session),
    )


def last_sync(session: Session) -> dict[str, Any] | None:
    """The newest video sync run, if the videos module records them."""
    try:
        module = importlib.import_module("comms.videos.models")
    except ImportError:
        return None
    model = getattr(module, "SyncRun", None)
    if model is None:
        return None
    table = model.__table__
    if not inspect(session.get_bind()).has_table(table.name):
        return None
    order = [c for c in ("started_at", "finished_at", "id") if c in table.c]
    if not order:
        return None
    row = session.execute(
        select(table).order_by(table.c[order[0]].desc()).limit(1)
    ).first()
    if row is None:
        return None
    shown = ("started_at", "finished_at", "full", "outcome", "total", "new",
             "updated", "unavailable", "quota_units", "thumbnails_failed",
             "error")  # fmt: skip
    values = dict(row._mapping)
    return {key: values[key] for key in shown if key in values}


def issues(session: Session, limit: int = 5) -> list[IssueStatus]:
    """The newest newsletter issues with their deliveries counted by status."""
    letters = list(
        session.scalars(select(Newsletter).order_by(Newsletter.id.desc()).limit(limit))
    )
    if not letters:
        return []
    has_deliveries = inspect(session.get_bind()).has_table("newsletter_delivery")
    result = []
    for letter in letters:
        counts: dict[str, int] = {}
        if has_deliveries:
            rows = session.execute(
                text(
                    "SELECT status, smtp_code, COUNT(*) FROM newsletter_delivery "
                    "WHERE issue = :issue GROUP BY status, smtp_code"
                ),
                {"issue": letter.translation},
            )
            # Named as the delivery report names them (bounced, skipped: ...).
            for status, code, n in rows:
                label = LABELS[report_status(str(status), code)].lower()
                counts[label] = counts.get(label, 0) + int(n)
        result.append(IssueStatus(letter, counts))
    return result
