"""Evidence for audits: timestamped copies of items' public pages.

A controller can later see what was online, and with which funding
acknowledgement. The page is rendered in-process by the app's own test client (no
network, not counted as a visit). A copy is stored only when the page differs from
the item's latest copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comms.catalogue.models import Item
from comms.catalogue.models import utcnow as utcnow  # re-exported for the import hook
from comms.kpi.models import PageSnapshot
from comms.self_requests import SNAPSHOT, mark

MAX_PER_RUN = 500


@dataclass(frozen=True)
class SnapshotRun:
    """What one round of snapshots did."""

    taken: int
    unchanged: int
    skipped: int


def item_path(item: Item) -> str:
    """The public path of an item's page."""
    return f"/{item.plural}/{item.slug}/"


def snapshot_item(app: Flask, session: Session, item: Item) -> PageSnapshot | None:
    """Store a copy of ``item``'s public page now; None when it is not public or
    unchanged since the last copy. Adds to ``session``; the caller commits."""
    path = item_path(item)
    with app.test_client() as client:
        response = client.get(
            path,
            headers={"Accept-Language": item.language, "User-Agent": "comms-evidence"},
            environ_overrides=mark(SNAPSHOT),
        )
    if response.status_code != 200:
        return None
    html = response.get_data(as_text=True)
    digest = hashlib.sha256(html.encode("utf-8")).hexdigest()
    last = session.scalar(
        select(PageSnapshot.sha256)
        .where(PageSnapshot.item_id == item.id)
        .order_by(PageSnapshot.taken_at.desc(), PageSnapshot.id.desc())
        .limit(1)
    )
    if last == digest:
        return None
    snapshot = PageSnapshot(
        item_id=item.id, url=path, taken_at=utcnow(), sha256=digest, html=html
    )
    session.add(snapshot)
    return snapshot


def snapshot_items(app: Flask, session: Session, items: Iterable[Item]) -> SnapshotRun:
    """Snapshot each public item (at most MAX_PER_RUN); commits once at the end."""
    chosen = list(items)
    skipped = max(len(chosen) - MAX_PER_RUN, 0)
    if skipped:
        return SnapshotRun(taken=0, unchanged=0, skipped=len(chosen))
    now = utcnow()
    taken = unchanged = 0
    for item in chosen:
        if not item.is_public(now) and item.status != "archived":
            unchanged += 1
            continue
        if snapshot_item(app, session, item) is None:
            unchanged += 1
        else:
            taken += 1
    session.commit()
    return SnapshotRun(taken=taken, unchanged=unchanged, skipped=0)


def snapshot_changed_since(
    app: Flask, session: Session, since: datetime
) -> SnapshotRun:
    """Snapshot the items created or changed at or after ``since``."""
    changed = session.scalars(
        select(Item)
        .where(Item.updated_at >= since)
        .order_by(Item.id)
        .limit(MAX_PER_RUN + 1)
    ).all()
    if len(changed) > MAX_PER_RUN:
        total = session.scalar(
            select(func.count()).select_from(Item).where(Item.updated_at >= since)
        )
        return SnapshotRun(taken=0, unchanged=0, skipped=int(total or 0))
    return snapshot_items(app, session, changed)


def snapshots_of(session: Session, item_id: int) -> list[PageSnapshot]:
    """Every stored copy of one item's page, oldest first."""
    return list(
        session.scalars(
            select(PageSnapshot)
            .where(PageSnapshot.item_id == item_id)
            .order_by(PageSnapshot.taken_at, PageSnapshot.id)
        )
    )


def snapshot_after_import(app: Flask, session: Session, since: datetime) -> str:
    """Snapshot what an import created or changed; return one line saying so."""
    run = snapshot_changed_since(app, session, since)
    if run.skipped:
        return (
            f"page snapshots skipped: {run.skipped} items changed "
            f"(more than {MAX_PER_RUN}); snapshot them from the admin"
        )
    return f"page snapshots: {run.taken} taken, {run.unchanged} unchanged"
