"""YouTube push: the lease at the WebSub hub, intent verification, notifications.

The callback answers the hub at once and syncs the notified video inline, through
the same client and merge plan as the scheduled sync (one videos.list call), with
short timeouts. There is no job queue: a notification that cannot be synced sets
``poll_due``, and the next scheduled ``comms videos sync`` polls the channel.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from comms.config import Settings
from comms.errors import NotFound
from comms.storage import MediaStore
from comms.videos import websub
from comms.videos.errors import SyncError
from comms.videos.models import PushSubscription, SyncRun
from comms.videos.service import SyncReport, sync_ids

log = logging.getLogger(__name__)
PENDING_WAIT = timedelta(hours=1)  # how long a request may wait for verification
RENEW_SHARE = 0.2  # renew once less than a fifth of the lease remains
MAX_LEASE = 10 * 365 * 86400
MAX_CHALLENGE = 1000
SyncIds = Callable[..., SyncReport]


@dataclass(frozen=True)
class Notification:
    """One notification POST as the hub sent it, unchecked."""

    token: str  # the last part of the callback URL: which subscription
    body: bytes  # the Atom entry (or tombstone)
    signature: str | None  # the X-Hub-Signature header


@dataclass(frozen=True)
class Received:
    """What the callback did with one notification POST."""

    outcome: str  # gone, ignored, nothing, synced, failed
    detail: str = ""


def current(session: Session) -> PushSubscription | None:
    """The channel's push subscription (the newest, if the channel changed)."""
    return session.scalar(
        select(PushSubscription).order_by(PushSubscription.id.desc()).limit(1)
    )


def callback_url(settings: Settings, sub: PushSubscription) -> str:
    """The public callback the hub calls; its token makes it unguessable."""
    return f"{settings.callback_base}{websub.CALLBACK_PATH}{sub.token}"


def is_active(sub: PushSubscription | None, now: datetime) -> bool:
    """A verified lease that has not expired."""
    return (
        sub is not None
        and sub.state == "active"
        and sub.expires_at is not None
        and sub.expires_at > now
    )


# --- asking the hub -----------------------------------------------------------------


def subscribe(
    factory: sessionmaker[Session], settings: Settings, channel_id: str, now: datetime
) -> PushSubscription:
    """Create (or reuse) the channel's subscription and ask the hub to subscribe."""
    topic = websub.topic_for(channel_id)
    with factory() as session:
        sub = session.scalar(
            select(PushSubscription).where(PushSubscription.topic == topic)
        )
        if sub is None:
            sub = PushSubscription(
                topic=topic,
                channel_id=channel_id,
                token=secrets.token_urlsafe(32),
                secret=secrets.token_urlsafe(32),
                state="requested",
                notifications=0,
                poll_due=False,
            )
            session.add(sub)
        sub.hub = settings.websub_youtube_hub
        session.commit()
        sub_id = sub.id
    return _ask(factory, settings, sub_id, "subscribe", now)


def unsubscribe(
    factory: sessionmaker[Session], settings: Settings, now: datetime
) -> PushSubscription:
    """Ask the hub to end the lease (verified by the hub like a subscription)."""
    with factory() as session:
        sub = current(session)
        if sub is None:
            raise NotFound("no push subscription: run comms videos push subscribe")
        sub_id = sub.id
    return _ask(factory, settings, sub_id, "unsubscribe", now)


def _ask(
    factory: sessionmaker[Session],
    settings: Settings,
    sub_id: int,
    mode: str,
    now: datetime,
) -> PushSubscription:
    by_id = PushSubscription.id == sub_id
    with factory() as session:
        sub = session.get_one(PushSubscription, sub_id)
        # Committed before the request: the hub may verify before it answers.
        sub.pending, sub.requested_at = mode, now
        hub, topic, secret = sub.hub, sub.topic, sub.secret
        callback = callback_url(settings, sub)
        session.commit()
    # No transaction stays open while the hub calls back (SQLite would block it).
    try:
        websub.request(
            hub,
            mode=mode,
            topic=topic,
            callback=callback,
            secret=secret,
            lease_seconds=settings.websub_lease_seconds,
            timeout=settings.websub_timeout,
        )
    except websub.HubError as exc:
        with factory() as session:
            session.execute(
                update(PushSubscription).where(by_id).values(last_error=str(exc))
            )
            if not isinstance(exc, websub.HubUnreachable):
                # Refused: no verification will come for this request.
                session.execute(
                    update(PushSubscription)
                    .where(by_id, PushSubscription.pending == mode)
                    .values(pending=None)
                )
            session.commit()
        raise
    with factory() as session:
        # Unless the hub has verified or denied in the meantime (it may be quick).
        session.execute(
            update(PushSubscription)
            .where(by_id, PushSubscription.pending == mode)
            .values(last_error=None)
        )
        session.commit()
        sub = session.get_one(PushSubscription, sub_id)
        session.expunge(sub)
        return sub


def renewal_due(sub: PushSubscription, now: datetime) -> bool:
    """Whether the lease should be renewed now (less than 20% of it remains)."""
    if sub.state == "unsubscribed" or sub.pending == "unsubscribe":
        return False
    if (
        sub.pending == "subscribe"
        and sub.requested_at is not None
        and sub.requested_at > now - PENDING_WAIT
    ):
        return False  # asked already: the hub has not verified yet
    if sub.state != "active" or sub.expires_at is None or sub.lease_seconds is None:
        return True
    return sub.expires_at - now <= timedelta(seconds=sub.lease_seconds * RENEW_SHARE)


def renew(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    force: bool = False,
) -> PushSubscription | None:
    """Renew the lease when due (or ``force``); None when nothing was asked."""
    with factory() as session:
        sub = current(session)
        if sub is None or sub.state == "unsubscribed":
            return None
        if not force and not renewal_due(sub, now):
            return None
        channel_id = sub.channel_id
    return subscribe(factory, settings, channel_id, now)


# --- the callback -------------------------------------------------------------------


def _by_token(session: Session, token: str) -> PushSubscription | None:
    return session.scalar(
        select(PushSubscription).where(PushSubscription.token == token)
    )


def verify_intent(
    session: Session, token: str, args: Mapping[str, str], now: datetime
) -> str:
    """The challenge to echo when the hub confirms what we asked; else NotFound."""
    sub = _by_token(session, token)
    mode = args.get("hub.mode", "")
    if sub is None or args.get("hub.topic") != sub.topic:
        raise NotFound("no such subscription")
    if mode == "denied":
        sub.state, sub.pending = "denied", None
        reason = " ".join(args.get("hub.reason", "").split())[:300]
        sub.last_error = (
            f"the hub denied the subscription{f': {reason}' if reason else ''}"
        )
        session.commit()
        return ""
    challenge = args.get("hub.challenge", "")
    if (
        mode not in ("subscribe", "unsubscribe")
        or sub.pending != mode
        or sub.requested_at is None
        or sub.requested_at < now - PENDING_WAIT
        or not 0 < len(challenge) <= MAX_CHALLENGE
    ):
        raise NotFound("no such pending request")
    if mode == "subscribe":
        try:
            lease = int(args.get("hub.lease_seconds", ""))
        except ValueError:
            raise NotFound("the lease is not a number") from None
        if not 0 < lease <= MAX_LEASE:
            raise NotFound("the lease is out of range")
        sub.state, sub.lease_seconds = "active", lease
        sub.expires_at = now + timedelta(seconds=lease)
    else:
        sub.state, sub.expires_at = "unsubscribed", None
    sub.pending, sub.verified_at, sub.last_error = None, now, None
    session.commit()
    return challenge


def receive(
    factory: sessionmaker[Session],
    settings: Settings,
    store: MediaStore,
    notification: Notification,
    *,
    default_language: str,
    now: datetime,
    sync: SyncIds = sync_ids,
) -> Received:
    """Check a notification's signature and sync the videos of our channel it names."""
    with factory() as session:
        sub = _by_token(session, notification.token)
        newest = current(session)
        # 410 also for an older channel's subscription: the hub then drops it.
        if sub is None or sub.state == "unsubscribed" or sub is not newest:
            return Received("gone")
        if not websub.signature_ok(
            sub.secret, notification.body, notification.signature
        ):
            log.warning("push notification with a bad signature ignored")
            return Received("ignored", "bad signature")
        notices = websub.parse_notification(notification.body)
        # An entry names its channel; a tombstone may not (it is signed for our topic).
        ours = [
            n
            for n in notices
            if n.channel_id == sub.channel_id or (n.deleted and n.channel_id is None)
        ]
        sub.last_notification_at = now
        sub.notifications += 1
        if ours:
            sub.last_video_id = ours[-1].video_id
        session.commit()
        sub_id = sub.id
    if not ours:
        return Received("nothing", "no video of our channel")
    ids = list(dict.fromkeys(n.video_id for n in ours))[:50]
    hints = {n.video_id: "deleted" for n in ours if n.deleted}
    quick = replace(
        settings,
        youtube_timeout=min(settings.youtube_timeout, settings.websub_timeout),
        youtube_retries=0,  # a failure is covered by the next poll (poll_due)
    )
    try:
        report = sync(
            factory, quick, store, ids, default_language=default_language, hints=hints
        )
    except SyncError as exc:
        log.warning("pushed video %s not synced: %s", ",".join(ids), exc)
        with factory() as session:
            sub = session.get_one(PushSubscription, sub_id)
            sub.poll_due, sub.last_error = True, f"pushed video not synced: {exc}"
            session.commit()
        return Received("failed", str(exc))
    return Received("synced", report.line())


# --- the scheduled sync's choice ----------------------------------------------------


def poll_reason(session: Session, settings: Settings, now: datetime) -> str | None:
    """Why the scheduled sync must poll the channel; None when push covers it."""
    sub = current(session)
    if sub is None:
        return "push is not set up"
    if not is_active(sub, now):
        return "the push lease is not active"
    if sub.poll_due:
        return "a pushed video could not be synced"
    last_sync = session.scalar(
        select(SyncRun.started_at)
        .where(SyncRun.outcome == "ok")
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    )
    heard = [t for t in (sub.last_notification_at, last_sync) if t is not None]
    if not heard or max(heard) < now - timedelta(hours=settings.websub_silence_hours):
        return f"push silent for {settings.websub_silence_hours:g} hours"
    return None


def set_poll_due(session: Session, due: bool) -> None:
    """Clear the flag as a poll starts; set it again if that poll fails."""
    sub = current(session)
    if sub is not None and sub.poll_due != due:
        sub.poll_due = due
        session.commit()


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"


def status_lines(sub: PushSubscription, now: datetime) -> list[str]:
    """The subscription as `comms videos push status` prints it."""
    lease = "no lease"
    if sub.expires_at is not None:
        left = sub.expires_at - now
        lease = (
            f"expires {_when(sub.expires_at)} (in {left.total_seconds() / 3600:.0f} h)"
            if left.total_seconds() > 0
            else f"expired {_when(sub.expires_at)}"
        )
    lines = [
        f"topic: {sub.topic}",
        f"hub: {sub.hub}",
        f"state: {sub.state}; {lease}",
        f"last notification: {_when(sub.last_notification_at)}"
        + (f" (video {sub.last_video_id})" if sub.last_video_id else "")
        + f"; {sub.notifications} in all",
    ]
    if sub.pending:
        lines.append(
            f"waiting for the hub to verify: {sub.pending} asked "
            f"{_when(sub.requested_at)}"
        )
    if sub.last_error:
        lines.append(f"last problem: {sub.last_error}")
    return lines


# --- the scheduled sync (the worker's periodic job and `comms videos sync`) ---------


@dataclass(frozen=True)
class PollPlan:
    """What a scheduled sync does about push: what to tell, and whether to poll."""

    notes: tuple[str, ...]
    poll: bool
    push: bool


def plan_scheduled_sync(
    factory: sessionmaker[Session], settings: Settings, now: datetime, *, full: bool
) -> PollPlan:
    """Renew the push lease when due, then say whether the sync must poll.

    The poll is skipped only while push is active and heard from recently; a
    failed renewal is told, never fatal (the poll goes on as before).
    """
    with factory() as session:
        if current(session) is None:
            return PollPlan(notes=(), poll=True, push=False)
    notes: list[str] = []
    try:
        if renew(factory, settings, now) is not None:
            notes.append("push lease renewal asked of the hub")
    except websub.HubError as exc:
        notes.append(f"push lease not renewed: {exc}")
    with factory() as session:
        if not full and poll_reason(session, settings, now) is None:
            return PollPlan(notes=tuple(notes), poll=False, push=True)
        set_poll_due(session, False)
    return PollPlan(notes=tuple(notes), poll=True, push=True)


def poll_failed(factory: sessionmaker[Session]) -> None:
    """Ask the next scheduled sync to poll: this one failed."""
    with factory() as session:
        set_poll_due(session, True)
