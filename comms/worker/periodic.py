"""What the worker checks each minute: due items and issues, video sync, purges.

Each check creates keyed jobs (one per item and time, per issue and send time,
per sync period, per hour), so several workers checking at once, on one host or
many, queue each job once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.catalogue.models import Newsletter
from comms.jobs import queue
from comms.jobs.service import NewJob
from comms.newsletter.schedule import schedule_send
from comms.publishing import DUE_WINDOW_HOURS, announce_due

log = logging.getLogger(__name__)


def every_minute(app: Flask) -> None:
    """Queue what has come due since the last minute."""
    state = app.extensions["comms"]
    now = queue.utcnow()
    with state.sessionmaker() as session:
        for check in (announce_due, due_newsletters, video_sync, purge):
            try:
                check(app, session, now)
            except Exception:  # one failing check must not stop the others
                session.rollback()
                log.exception("periodic check %s failed", check.__name__)


def due_newsletters(app: Flask, session: Session, now: datetime) -> int:
    """Queue the send of each issue whose scheduled send time has come."""
    due = session.scalars(
        select(Newsletter)
        .where(
            Newsletter.send_at <= now,
            Newsletter.send_at > now - timedelta(hours=DUE_WINDOW_HOURS),
        )
        .order_by(Newsletter.id)
    ).all()
    queued, seen = 0, set()
    for letter in due:
        if letter.translation in seen or letter.send_at is None:
            continue
        seen.add(letter.translation)
        queued += schedule_send(app, session, letter, letter.send_at) is not None
    return queued


def video_sync(app: Flask, session: Session, now: datetime) -> int:
    """Queue an incremental video sync every COMMS_VIDEO_SYNC_MINUTES (with a key)."""
    settings = app.extensions["comms"].settings
    every = settings.video_sync_minutes
    if not every or not settings.youtube_api_key:
        return 0
    slot = int(now.timestamp() // 60) // every
    job = queue.submit(
        app,
        session,
        NewJob(
            "video-sync",
            {},
            f"Video sync (every {every} minutes)",
            key=f"video-sync:{every}:{slot}",
        ),
    )
    return int(job is not None)


def purge(app: Flask, session: Session, now: datetime) -> int:
    """Queue the hourly purge of expired rows."""
    job = queue.submit(
        app,
        session,
        NewJob(
            "purge",
            {},
            "Purge expired subscriptions, login tries, sessions",
            key=f"purge:{now:%Y-%m-%dT%H}",
        ),
    )
    return int(job is not None)
