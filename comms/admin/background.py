"""Long jobs the admin starts, run in a thread so the request returns at once.

A newsletter send (minutes for thousands of mails at COMMS_MAIL_RATE) and a video
sync each get a thread with its own app context and database session. Both are
safe to run again: if the process ends mid-job (a deploy, a worker restart), the
next press of the button, or the command line, picks up where it stopped.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.admin import audit
from comms.admin.models import User
from comms.catalogue.models import Newsletter
from comms.errors import CommsError
from comms.newsletter import dispatch
from comms.videos import service as videos
from comms.videos.errors import SyncRunning
from comms.videos.models import SyncRun
from comms.videos.youtube import check_settings

log = logging.getLogger(__name__)
_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()


def _start(name: str, target: object, *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()
    return thread


def wait_idle(timeout: float) -> bool:
    """Wait until every job started here has ended; False on timeout (tests)."""
    deadline = time.monotonic() + timeout
    with _threads_lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in threads)


# --- newsletter sending -----------------------------------------------------------


def start_send(
    app: Flask, issue_id: int, slug: str, lock: dispatch.SendLock, actor_id: int
) -> threading.Thread:
    """Send issue ``slug`` in a thread that releases ``lock`` when it ends."""
    try:
        return _start(f"send-{slug}", _send, app, issue_id, slug, lock, actor_id)
    except BaseException:
        lock.release()
        raise


def _send(
    app: Flask, issue_id: int, slug: str, lock: dispatch.SendLock, actor_id: int
) -> None:
    try:
        with app.app_context():
            state = app.extensions["comms"]
            with state.sessionmaker() as session:
                try:
                    report = dispatch.send_all(
                        app.jinja_env, session, slug, site=state.site,
                        settings=state.settings, now=datetime.now(UTC),
                    )  # fmt: skip
                    action, summary = "send", report.summary()
                except (CommsError, smtplib.SMTPException, OSError) as exc:
                    session.rollback()
                    action, summary = "send-failed", f"{slug}: {exc}"
                log.info("newsletter %s", summary)
                _record(session, actor_id, action, issue_id, summary)
    except Exception:
        log.exception("newsletter send of %s failed", slug)
    finally:
        lock.release()


def _record(
    session: Session, actor_id: int, action: str, issue_id: int, summary: str
) -> None:
    letter = session.get(Newsletter, issue_id)
    if letter is None:
        return
    audit.record(
        session, session.get(User, actor_id), action, letter, before=None,
        after={"outcome": summary}, summary=summary, now=datetime.now(UTC),
    )  # fmt: skip
    session.commit()


# --- video sync -------------------------------------------------------------------


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


def start_sync(app: Flask) -> threading.Thread:
    """Run an incremental video sync in a thread; its SyncRun row records the end."""
    return _start("video-sync", _sync, app)


def _sync(app: Flask) -> None:
    state = app.extensions["comms"]
    try:
        report = videos.sync_videos(
            state.sessionmaker, state.settings, state.store,
            default_language=state.site.default_language,
        )  # fmt: skip
        log.info("video sync: %s", report.line())
    except CommsError as exc:
        log.warning("video sync failed: %s", exc)
    except Exception:
        log.exception("video sync failed")
