"""Catalogue models: items of every kind (comms.kinds), files, tags, newsletters."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comms import kinds
from comms.db import Base
from comms.kinds import KIND_PLURALS as KIND_PLURALS
from comms.kinds import KINDS as KINDS
from comms.kinds import PLURAL_KINDS as PLURAL_KINDS

STATUSES = ("draft", "published", "archived")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; comms stores UTC only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def modified_of(
    published: datetime | None, created: datetime, revised: datetime | None
) -> datetime:
    """``Item.modified`` of an item's dates (for rows read without the item)."""
    first = published or created
    return first if revised is None else max(first, revised)


class Item(Base):
    """One catalogue entry: a press release, report, video or event in one language."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("kind", "slug", "language", name="uq_item_kind_slug_lang"),
        # Every column ``visible`` tests (a video's own besides status and date):
        # counting the public items reads the index alone; ``id`` third keeps the
        # (published_at, id) order the related items' walk stops early on
        # (migration 0027).
        Index(
            "ix_item_public",
            "status",
            "published_at",
            "id",
            "kind",
            "hidden",
            "availability",
        ),
        Index("ix_item_kind_public", "kind", "status", "published_at"),
        # What the clock alone moves (an item starting, ending), asked by the
        # static export; and when the next public event is over (its end, else
        # its start), asked by the page cache's stamp (migration 0028).
        Index("ix_item_starts_at", "starts_at"),
        Index("ix_item_ends_at", "ends_at"),
        Index("ix_item_event_times", "kind", "status", "ends_at", "starts_at"),
        # One version per language in a translation group; also the index the
        # one-version-per-group listing query looks siblings up by.
        UniqueConstraint(
            "kind", "translation", "language", name="uq_item_translation_lang"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(
        String(36), unique=True, default=lambda: str(uuid.uuid4())
    )
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    translation: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="published")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )
    # When the content last changed as readers should see it (front matter
    # ``updated_at``, or an admin edit); ``updated_at`` above is the row's own
    # stamp, which an import or a sync moves without the text changing.
    revised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    author: Mapped[str | None] = mapped_column(String(200))
    image: Mapped[str | None] = mapped_column(String(500))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Extra front-matter fields that only some kinds use (contacts, authors, ...).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # report
    report_type: Mapped[str | None] = mapped_column(String(100))
    deliverable: Mapped[str | None] = mapped_column(String(50))
    work_package: Mapped[str | None] = mapped_column(String(50))
    licence: Mapped[str | None] = mapped_column(String(50))
    doi: Mapped[str | None] = mapped_column(String(200))

    # video
    youtube_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    channel_id: Mapped[str | None] = mapped_column(String(40))
    duration: Mapped[str | None] = mapped_column(String(40))
    view_count: Mapped[int | None] = mapped_column(BigInteger)
    like_count: Mapped[int | None] = mapped_column(BigInteger)
    comment_count: Mapped[int | None] = mapped_column(BigInteger)
    privacy_status: Mapped[str | None] = mapped_column(String(30))
    availability: Mapped[str | None] = mapped_column(String(20))
    live_broadcast: Mapped[str | None] = mapped_column(String(20))
    # video, short, live, upcoming, premiere or stream (set by the video sync)
    video_type: Mapped[str | None] = mapped_column(String(20))
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    override_title: Mapped[str | None] = mapped_column(String(500))
    override_summary: Mapped[str | None] = mapped_column(Text)
    override_tags: Mapped[list[str] | None] = mapped_column(JSON)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)

    # event
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(300))
    participants: Mapped[int | None] = mapped_column(Integer)

    tags: Mapped[list[ItemTag]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        order_by="ItemTag.position",
        lazy="selectin",
    )
    regions: Mapped[list[ItemRegion]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        order_by="ItemRegion.position",
        lazy="selectin",
    )
    files: Mapped[list[ReportFile]] = relationship(
        back_populates="item",
        cascade="all, delete-orphan",
        order_by="ReportFile.position",
        lazy="selectin",
    )
    # The deliverables this item is an output of (comms.catalogue.register).
    deliverables: Mapped[list[Deliverable]] = relationship(
        secondary="item_deliverable", order_by="Deliverable.code", lazy="select"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def plural(self) -> str:
        """The URL segment of this item's kind."""
        return KIND_PLURALS[self.kind]

    @property
    def modified(self) -> datetime:
        """When readers should see the content as last changed (not before publication).

        The content's own date (``revised_at``, else ``published_at``), never the
        time of an import: a fresh database reports the catalogue's true dates.
        """
        return modified_of(self.published_at, self.created_at, self.revised_at)

    @property
    def display_title(self) -> str:
        """The title shown to visitors (a local override wins)."""
        return self.override_title or self.title

    @property
    def display_summary(self) -> str:
        """The summary shown to visitors (a local override wins)."""
        return (
            self.override_summary
            if self.override_summary is not None
            else (self.summary)
        )

    @property
    def tag_names(self) -> list[str]:
        """Tag slugs as shown to visitors (a local override wins)."""
        if self.override_tags is not None:
            return list(self.override_tags)
        return [t.name for t in self.tags]

    @property
    def region_names(self) -> list[str]:
        """Region slugs of this item."""
        return [r.name for r in self.regions]

    def is_public(self, now: datetime) -> bool:
        """True when visitors may see this item in listings and feeds."""
        if self.status != "published" or self.published_at is None:
            return False
        if self.published_at > now:
            return False
        kind = kinds.find(self.kind)
        return kind is None or kind.is_shown is None or kind.is_shown(self)


class ItemRedirect(Base):
    """A former slug of an item: its old addresses answer with a permanent redirect.

    One row per old address (kind, slug, language), pointing at the item itself,
    so a later rename needs no update here: A -> B -> C sends A straight to C.
    """

    __tablename__ = "item_redirect"
    __table_args__ = (
        UniqueConstraint("kind", "slug", "language", name="uq_item_redirect"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ItemTag(Base):
    """A topic tag on an item."""

    __tablename__ = "item_tag"
    __table_args__ = (Index("ix_item_tag_name", "name", "item_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    item: Mapped[Item] = relationship(back_populates="tags")


class ItemRegion(Base):
    """A partner region an item concerns."""

    __tablename__ = "item_region"
    __table_args__ = (Index("ix_item_region_name", "name", "item_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    item: Mapped[Item] = relationship(back_populates="regions")


class ReportFile(Base):
    """A file of a report, stored once by its SHA-256 content hash."""

    __tablename__ = "report_file"
    __table_args__ = (
        UniqueConstraint("item_id", "filename", name="uq_report_file_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    page_count: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(16))
    # The file's words for the search index (read there in SQL): often hundreds
    # of kilobytes, loaded only when asked for, never with every item page.
    text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    download_count: Mapped[int] = mapped_column(BigInteger, default=0)
    # What the PDF says about itself (accessibility); None: not checked yet.
    pdf_title: Mapped[str | None] = mapped_column(String(500))
    pdf_language: Mapped[str | None] = mapped_column(String(35))
    pdf_tagged: Mapped[bool | None] = mapped_column(Boolean)
    item: Mapped[Item] = relationship(back_populates="files")


class Newsletter(Base):
    """One language version of a newsletter issue."""

    __tablename__ = "newsletter"
    __table_args__ = (UniqueConstraint("slug", "language", name="uq_newsletter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16))
    translation: Mapped[str] = mapped_column(String(200))
    number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    intro: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="published")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the worker sends the issue by itself (None: only when an officer does).
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )
    entries: Mapped[list[NewsletterEntry]] = relationship(
        back_populates="newsletter",
        cascade="all, delete-orphan",
        order_by="NewsletterEntry.position",
        lazy="selectin",
    )


class NewsletterEntry(Base):
    """An item carried by a newsletter issue, in the officer's order."""

    __tablename__ = "newsletter_entry"

    newsletter_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(200))
    newsletter: Mapped[Newsletter] = relationship(back_populates="entries")


# --- the register of work packages and deliverables --------------------------------


class WorkPackage(Base):
    """A work package of the project (``WP2``, ``T1``): the deliverables' parent."""

    __tablename__ = "work_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    deliverables: Mapped[list[Deliverable]] = relationship(
        back_populates="work_package", order_by="Deliverable.code"
    )


class Deliverable(Base):
    """A deliverable promised to the funder (``D2.1``), due on a date."""

    __tablename__ = "deliverable"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    work_package_id: Mapped[int] = mapped_column(
        ForeignKey("work_package.id"), index=True
    )
    due: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    work_package: Mapped[WorkPackage] = relationship(
        back_populates="deliverables", lazy="joined"
    )


class ItemDeliverable(Base):
    """An output (an item of any kind, in one language) of a deliverable."""

    __tablename__ = "item_deliverable"
    __table_args__ = (Index("ix_item_deliverable_deliverable", "deliverable_id"),)

    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), primary_key=True
    )
    # No cascade: a deliverable with outputs cannot be deleted.
    deliverable_id: Mapped[int] = mapped_column(
        ForeignKey("deliverable.id"), primary_key=True
    )
