"""What the admin checks before it queues a long job (the worker runs it)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.videos import service as videos
from comms.videos.errors import SyncRunning
from comms.videos.models import SyncRun
from comms.videos.youtube import check_settings


def check_sync_can_start(app: Flask, session: Session) -> None:
    """Raise YouTubeConfigMissing or SyncRunning when "Sync now" cannot start."""
    check_settings(app.extensions["comms"].settings)
    holder = session.scalar(select(SyncRun).where(SyncRun.running == 1))
    if holder is not None and not videos._is_stale(holder, videos.utcnow()):
        raise SyncRunning(
            f"a video sync is already running (started "
            f"{holder.started_at:%Y-%m-%d %H:%M:%S} UTC); its result will show on "
            "the dashboard when it has finished"
        )
