"""The catalogue version stamp: bumped in the same transaction as every change.

Caches of rendered pages and feeds key on it (with the newest publication time that
has come due), so a publish, an edit, a sync or a scheduled time invalidates them at
once in every worker process and on every host.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    ScalarSelect,
    String,
    bindparam,
    case,
    event,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from comms.cache import Listener, StampSource
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


# By database (URL without password); weak, so a discarded app stops listening.
_LISTENERS: dict[str, weakref.WeakSet[Any]] = {}


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


def _database(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _committed(session: Session) -> None:
    if not session.info.pop(_STAMPED, None):
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    for listener in list(_LISTENERS.get(_database(engine), ())):
        listener.changed()


def on_change(engine: Engine, listener: Listener) -> None:
    """Tell ``listener`` after every commit that bumps the version of ``engine``'s DB.

    Any session of this process on the same database triggers it (tests and
    commands often open their own engine on the app's database).
    """
    _LISTENERS.setdefault(_database(engine), weakref.WeakSet()).add(listener)


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "before_flush", _bump):
        event.listen(Session, "before_flush", _bump)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_rollback", _reset)


_PUBLIC = ("published", "archived")


def _edge(model: Any, now: Any, *, due: bool) -> ScalarSelect[Any]:
    # The newest time at or before ``now``, or the first after it: one index probe.
    column = model.published_at
    return (
        select(column)
        .where(model.status.in_(_PUBLIC), column <= now if due else column > now)
        .order_by(column.desc() if due else column.asc())
        .limit(1)
        .scalar_subquery()
    )


def _event_edge(now: Any, *, due: bool) -> ScalarSelect[Any]:
    # When an event is over (its end, else its start) it moves from the upcoming
    # events to the past ones: a change of what the public sees without an edit.
    column = func.coalesce(Item.ends_at, Item.starts_at)
    return (
        select(column)
        .where(
            Item.kind == "event",
            Item.status.in_(_PUBLIC),
            column <= now if due else column > now,
        )
        .order_by(column.desc() if due else column.asc())
        .limit(1)
        .scalar_subquery()
    )


def _pick(first: Any, second: Any, *, latest: bool) -> ColumnElement[Any]:
    # The later (or earlier) of two times, either of which may be NULL.
    return case(
        (first.is_(None), second),
        (second.is_(None), first),
        (first > second if latest else first < second, first),
        else_=second,
    )


def newest_due(now: Any) -> ColumnElement[Any]:
    """The newest publication time (an item or an issue) or event end at or
    before ``now``."""
    published = _pick(
        _edge(Item, now, due=True), _edge(Newsletter, now, due=True), latest=True
    )
    return _pick(published, _event_edge(now, due=True), latest=True)


def next_scheduled(now: Any) -> ColumnElement[Any]:
    """The first publication time or event end after ``now``: when ``newest_due``
    next moves."""
    scheduled = _pick(
        _edge(Item, now, due=False), _edge(Newsletter, now, due=False), latest=False
    )
    return _pick(scheduled, _event_edge(now, due=False), latest=False)


def cache_key(session: Session, now: datetime) -> str:
    """A key that changes whenever what the public sees may have changed."""
    version = session.scalar(
        select(SiteState.value).where(SiteState.name == "catalogue")
    )
    due = session.scalar(select(newest_due(now)))
    return f"{version or 0}-{due.timestamp() if due else 0:.0f}"


# The stamp's two parts as one statement, with the next scheduled time after ``now``:
# for one catalogue version the items and issues are fixed, so the "due" part can
# only change when the clock reaches that next time.
_WINDOW = select(
    select(SiteState.value)
    .where(SiteState.name == "catalogue")
    .scalar_subquery()
    .label("version"),
    newest_due(bindparam("now")).label("due"),
    next_scheduled(bindparam("now")).label("next"),
)

PAGE_STAMPS = StampSource(
    name="catalogue",
    window=_WINDOW,
    version_sql="SELECT value FROM site_state WHERE name = 'catalogue'",
    watch=on_change,
)
"""What the page cache keys public pages on: ``cache_key``, read cheaply."""
