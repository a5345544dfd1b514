"""The dashboard's "Sync now" button: a video sync in the background."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, url_for
from werkzeug.wrappers import Response

from comms.admin import audit, background
from comms.admin.views.blueprint import bp, render, require_user
from comms.admin.views.dashboard import dashboard_context
from comms.context import get_session
from comms.jobs import queue as jobs_queue
from comms.jobs import service as jobs_service
from comms.jobs.service import NewJob
from comms.videos.errors import SyncRunning, YouTubeConfigMissing


def _dashboard(status: int, message: str) -> tuple[str, int]:
    return render(
        "admin/dashboard.html", status, **dashboard_context(sync_problem=message)
    )


@bp.post("/videos/sync")
def sync_videos() -> Response | tuple[str, int]:
    """Start an incremental video sync; refused while one runs or without settings."""
    user = require_user()
    session = get_session()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        background.check_sync_can_start(app, session)
        if jobs_service.active(session, "video-sync") is not None:
            raise SyncRunning("a video sync is already queued or running")
    except YouTubeConfigMissing as exc:
        return _dashboard(422, f"The video sync cannot run: {exc}.")
    except SyncRunning as exc:
        return _dashboard(409, f"Not started: {exc}.")
    audit.record(
        session,
        user,
        "sync",
        audit.Target("videos", "sync", "video sync started"),
        before=None,
        after=None,
        now=datetime.now(UTC),
    )
    session.commit()
    jobs_queue.submit(
        app, session, NewJob("video-sync", {}, "Video sync", actor_id=user.id)
    )
    flash("Video sync started. Refresh the dashboard to see its result.")
    return redirect(url_for("admin.dashboard"), code=303)
