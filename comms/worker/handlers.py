"""The kinds of job the worker runs; each returns a one-line summary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import delete
from sqlalchemy.orm import Session

from comms.admin.models import LoginAttempt, LoginSession
from comms.catalogue.models import Newsletter
from comms.errors import CommsError
from comms.jobs.models import Job
from comms.jobs.queue import Busy, JobContext, handler

KEEP_FINISHED = timedelta(days=30)
Release = Callable[[], None]


def _now() -> datetime:
    return datetime.now(UTC)


@handler("websub-ping")
def ping(ctx: JobContext) -> str:
    """Tell the hub of every feed the announced items appear in."""
    from comms.feeds.websub import ping_hub
    from comms.publishing import feed_topics, still_due

    state = ctx.app.extensions["comms"]
    items = still_due(ctx.session, ctx.payload["items"], _now())
    if not items:
        return "nothing to announce: the items are not public (any more)"
    topics = feed_topics(state.settings, items, state.site.default_language)
    accepted = ping_hub(state.settings, topics)
    if accepted == 0 and topics:
        raise CommsError(f"the WebSub hub took none of {len(topics)} pings")
    return f"WebSub hub told of {accepted} of {len(topics)} feeds"


@handler("snapshot")
def snapshot(ctx: JobContext) -> str:
    """Store a copy of each announced item's public page."""
    from comms.kpi.evidence import snapshot_items
    from comms.publishing import still_due

    items = still_due(ctx.session, ctx.payload["items"], _now())
    run = snapshot_items(ctx.app, ctx.session, items)
    return f"page snapshots: {run.taken} taken, {run.unchanged} unchanged"


def send_lock(app: Flask, session: Session, payload: dict[str, Any]) -> Release:
    """Take the issue's send lock (shared with `comms newsletter send`), or Busy."""
    from comms.newsletter import dispatch

    state = app.extensions["comms"]
    letter = session.get(Newsletter, payload["issue_id"])
    if letter is None:
        return lambda: None  # the handler says the issue was deleted
    try:
        lock = dispatch.lock_issue(
            state.engine, letter.translation, state.settings.instance_path
        )
    except dispatch.SendRunning as exc:
        raise Busy(str(exc)) from exc
    return lock.release


@handler("newsletter-send", guard=send_lock)
def newsletter_send(ctx: JobContext) -> str:
    """Send an issue to every confirmed subscriber not yet reached (safe to rerun)."""
    from comms.admin import audit, issues
    from comms.admin.models import User
    from comms.newsletter import dispatch

    state = ctx.app.extensions["comms"]
    session = ctx.session
    letter = session.get(Newsletter, ctx.payload["issue_id"])
    if letter is None:
        raise CommsError("the issue was deleted")
    scheduled = ctx.payload.get("send_at")
    if scheduled is not None and (
        letter.send_at is None or letter.send_at.isoformat() != scheduled
    ):
        return "not sent: the issue's send time was changed or cleared"
    actor = (
        session.get(User, ctx.payload["actor_id"])
        if ctx.payload.get("actor_id")
        else None
    )
    # The send lock is held by the worker since before the claim (send_lock).
    if scheduled is not None:  # the officer's button published it already
        issues.publish_for_sending(session, actor, letter, _now())
    total = [0]

    def started(open_count: int) -> None:
        total[0] = open_count
        ctx.progress(0, open_count)

    done = [0]

    def progress(step: int) -> None:
        done[0] += step
        ctx.progress(done[0], total[0])

    report = dispatch.send_all(
        ctx.app.jinja_env,
        session,
        letter.slug,
        site=state.site,
        settings=state.settings,
        now=_now(),
        progress=progress,
        on_start=started,
    )
    summary = report.summary()
    audit.record(
        session,
        actor,
        "send",
        letter,
        before=None,
        after={"outcome": summary},
        summary=summary,
        now=_now(),
    )
    session.commit()
    if report.deferred or report.uncertain:
        raise CommsError(summary)
    return summary


@handler("video-sync")
def video_sync(ctx: JobContext) -> str:
    """A scheduled video sync: renews the push lease, polls unless push is fresh."""
    from comms.publishing import announce_new
    from comms.videos import push
    from comms.videos import service as videos
    from comms.videos.errors import SyncError

    state = ctx.app.extensions["comms"]
    plan = push.plan_scheduled_sync(
        state.sessionmaker, state.settings, _now().replace(microsecond=0), full=False
    )
    if not plan.poll:
        return "; ".join([*plan.notes, "push is active and recent: no poll needed"])
    try:
        report = videos.sync_videos(
            state.sessionmaker,
            state.settings,
            state.store,
            default_language=state.site.default_language,
        )
    except SyncError:
        if plan.push:
            push.poll_failed(state.sessionmaker)
        raise
    announce_new(ctx.app, ctx.session, report.became_public, when=_now())
    return "; ".join([*plan.notes, report.line()])


@handler("purge")
def purge(ctx: JobContext) -> str:
    """Delete expired subscriptions, old login tries, ended sessions, old jobs."""
    from comms.admin.auth import SESSION_LIFETIME
    from comms.db import leaving_no_trace
    from comms.newsletter.service import purge_expired

    settings = ctx.app.extensions["comms"].settings
    session, now = ctx.session, _now()
    idle = timedelta(minutes=settings.session_idle_minutes)
    with leaving_no_trace(session):
        pending = purge_expired(session, now=now)
        tries = session.execute(
            delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=1))
        )
        ended = session.execute(
            delete(LoginSession).where(
                (LoginSession.created_at <= now - SESSION_LIFETIME)
                | (LoginSession.last_seen_at <= now - idle)
            )
        )
        old = session.execute(
            delete(Job).where(
                Job.state.in_(("done", "failed")),
                Job.finished_at < now - KEEP_FINISHED,
                Job.id != ctx.job_id,
            )
        )
        session.commit()
    counts = [getattr(r, "rowcount", 0) for r in (tries, ended, old)]
    return (
        f"purged {pending} expired subscriptions, {counts[0]} login tries, "
        f"{counts[1]} ended sessions, {counts[2]} finished jobs"
    )
