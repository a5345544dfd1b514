"""Video sync bookkeeping: the run records (also the lock) and fetched thumbnails."""

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
