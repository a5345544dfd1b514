"""Where each report stands in the repository (Zenodo or another InvenioRDM)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comms.catalogue.models import Item, UTCDateTime, utcnow
from comms.db import Base

# draft: a remote draft exists, its files may be incomplete; uploaded: the draft holds
# the metadata and every file, waiting for the officer's confirmation; published:
# the latest version is public with its DOI; failed: the last attempt stopped (the
# remote ids are kept, so the next attempt resumes the same draft).
STATES = ("draft", "uploaded", "published", "failed")


class ReportDeposit(Base):
    """One report's record in the repository: its draft, versions and DOI."""

    __tablename__ = "report_deposit"
    __table_args__ = (Index("ix_report_deposit_published", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), unique=True
    )
    repository: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    # The draft being prepared (a new version's id once a file changed).
    record_id: Mapped[str | None] = mapped_column(String(100))
    # The latest published version and its DOI, shown on the site.
    published_record_id: Mapped[str | None] = mapped_column(String(100))
    doi: Mapped[str | None] = mapped_column(String(200))
    concept_doi: Mapped[str | None] = mapped_column(String(200))
    draft_doi: Mapped[str | None] = mapped_column(String(200))
    record_url: Mapped[str | None] = mapped_column(String(1000))
    # {filename: sha256} of the files in the draft, and in the published version.
    files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    published_files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # One entry per published version: record id, DOI, files, when.
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    item: Mapped[Item] = relationship()
