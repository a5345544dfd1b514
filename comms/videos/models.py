"""Video sync bookkeeping: run records (also the lock), thumbnails, the push lease."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comms.catalogue.models import UTCDateTime, utcnow
from comms.db import Base

OUTCOMES = ("running", "ok", "failed")


class SyncRun(Base):
    """One `comms videos sync`: when, how it ended, what it changed and spent.

    ``running`` is 1 while the run holds the lock and NULL afterwards; its unique
    constraint lets only one run hold it (NULLs do not collide on any database).
    """

    __tablename__ = "video_sync_run"
    __table_args__ = (UniqueConstraint("running", name="uq_video_sync_running"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    running: Mapped[int | None] = mapped_column(Integer, default=1)
    host: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unavailable: Mapped[int] = mapped_column(Integer, default=0)
    quota_units: Mapped[int] = mapped_column(Integer, default=0)
    thumbnails_failed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class VideoThumbnail(Base):
    """The thumbnail of one video, fetched once into the media store."""

    __tablename__ = "video_thumbnail"

    youtube_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_url: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(50), default="image/jpeg")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


PUSH_STATES = ("requested", "active", "denied", "unsubscribed")


class PushSubscription(Base):
    """The channel's upload feed subscribed at a WebSub hub (YouTube push).

    ``token`` makes the callback URL unguessable; ``secret`` is the HMAC key the
    hub signs notifications with. ``pending`` is the mode (subscribe or
    unsubscribe) last asked of the hub and not yet verified: the callback confirms
    only what we asked. ``poll_due`` asks the next scheduled sync to poll, because
    a notification could not be synced.
    """

    __tablename__ = "video_push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(300), unique=True)
    channel_id: Mapped[str] = mapped_column(String(30))
    hub: Mapped[str] = mapped_column(String(500))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="requested")
    pending: Mapped[str | None] = mapped_column(String(20))
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_seconds: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_notification_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_video_id: Mapped[str | None] = mapped_column(String(20))
    notifications: Mapped[int] = mapped_column(Integer, default=0)
    poll_due: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
