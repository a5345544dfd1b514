"""The catalogue version stamp: bumped in the same transaction as every change.

Caches of rendered pages and feeds key on it (with the newest publication time that
has come due), so a publish, an edit, a sync or a scheduled time invalidates them at
once in every worker process and on every host.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from comms.catalogue.models import (
    Item,
    ItemRegion,
    ItemTag,
    Newsletter,
    NewsletterEntry,
    ReportFile,
)
from comms.db import Base

WATCHED = (Item, ItemTag, ItemRegion, ReportFile, Newsletter, NewsletterEntry)
_STAMPED = "comms_stamped"


class SiteState(Base):
    """One counter row per name (``catalogue``: bumped on every catalogue change)."""

    __tablename__ = "site_state"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


def _bump(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_STAMPED):
        return
    touched = any(isinstance(o, WATCHED) for o in (*session.new, *session.deleted))
    touched = touched or any(
        isinstance(o, WATCHED) and session.is_modified(o) for o in session.dirty
    )
    if not touched:
        return
    session.info[_STAMPED] = True
    result = session.execute(
        update(SiteState)
        .where(SiteState.name == "catalogue")
        .values(value=SiteState.value + 1)
    )
    if getattr(result, "rowcount", 1) == 0:
        session.add(SiteState(name="catalogue", value=1))


def _reset(session: Session, *_args: Any) -> None:
    session.info.pop(_STAMPED, None)


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "before_flush", _bump):
        event.listen(Session, "before_flush", _bump)
        event.listen(Session, "after_commit", _reset)
        event.listen(Session, "after_rollback", _reset)


def cache_key(session: Session, now: datetime) -> str:
    """A key that changes whenever what the public sees may have changed."""
    version = session.scalar(
        select(SiteState.value).where(SiteState.name == "catalogue")
    )
    due = session.scalar(
        select(Item.published_at)
        .where(Item.status.in_(("published", "archived")), Item.published_at <= now)
        .order_by(Item.published_at.desc())
        .limit(1)
    )
    return f"{version or 0}-{due.timestamp() if due else 0:.0f}"
