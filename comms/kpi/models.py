"""KPI tables: daily counters, video count snapshots and page snapshots for audits."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comms.catalogue.models import UTCDateTime, utcnow
from comms.db import Base


class DailyCount(Base):
    """How often ``metric`` happened to ``key`` on one UTC day (no personal data)."""

    __tablename__ = "daily_count"
    __table_args__ = (Index("ix_daily_count_metric_day", "metric", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class VideoSnapshot(Base):
    """A video's YouTube counts as they stood on one UTC day."""

    __tablename__ = "video_snapshot"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)


class PageSnapshot(Base):
    """A timestamped copy of an item's public page, kept as evidence for audits.

    No foreign key: evidence outlives the item row it was taken of.
    """

    __tablename__ = "page_snapshot"
    __table_args__ = (Index("ix_page_snapshot_item", "item_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(String(500))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64))
    html: Mapped[str] = mapped_column(Text)
