"""Newsletter subscribers, their consent records and the deliveries of each issue."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comms.catalogue.models import UTCDateTime, utcnow
from comms.db import Base

SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed", "suspended")
DELIVERY_STATUSES = (
    "pending",  # planned, not tried yet
    "sending",  # claimed: the SMTP transaction may be under way
    "sent",  # the server accepted the message (250)
    "deferred",  # a 4xx answer: tried again by a later pass or run
    "failed",  # a 5xx answer, or too many 4xx answers
    "uncertain",  # in flight when a run died or the connection dropped
    "skipped",  # the subscriber left before their turn
    "unmatched",  # no entry of the issue matches the subscriber's topics or regions
)


def new_key() -> str:
    """A random, URL-safe identifier that links carry instead of the address."""
    return secrets.token_urlsafe(16)


class Subscriber(Base):
    """One e-mail address that asked for the newsletter."""

    __tablename__ = "subscriber"
    __table_args__ = (Index("ix_subscriber_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_key)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    language: Mapped[str] = mapped_column(String(16))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    source: Mapped[str] = mapped_column(String(100), default="form")
    # Changes with every subscription request: older confirmation links stop working.
    nonce: Mapped[str] = mapped_column(String(32), default=new_key)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bounce_count: Mapped[int] = mapped_column(Integer, default=0)

    consents: Mapped[list[Consent]] = relationship(
        back_populates="subscriber",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Consent.id",
    )


class Consent(Base):
    """A record of consent given or withdrawn: what, when and how."""

    __tablename__ = "subscriber_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(30))
    method: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text, default="")
    subscriber: Mapped[Subscriber] = relationship(back_populates="consents")

    def as_dict(self) -> dict[str, Any]:
        """This record as plain data (for a person's data export)."""
        return {
            "at": self.at.isoformat(),
            "action": self.action,
            "method": self.method,
            "detail": self.detail,
        }


class Delivery(Base):
    """One subscriber's copy of one issue, recorded before and after SMTP."""

    __tablename__ = "newsletter_delivery"
    __table_args__ = (
        UniqueConstraint("issue", "subscriber_id", name="uq_delivery_issue_sub"),
        Index("ix_delivery_issue_status", "issue", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The issue's translation group: one delivery per subscriber whatever language.
    issue: Mapped[str] = mapped_column(String(200))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
