"""The catalogue version stamp: bumped in the same transaction as every change.

Caches of rendered pages and feeds key on it (with the newest publication time that
has come due), so a publish, an edit, a sync or a scheduled time invalidates them at
once in every worker process and on every host.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    event,
    func,
    inspect,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from comms.cache import ALL, StampSource
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
KEY_LENGTH = 200
# Item ids per query when reading what changed items are filed under.
_CHUNK = 500


class SiteState(Base):
    """One counter row per name (``catalogue``: bumped on every catalogue change)."""

    __tablename__ = "site_state"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class PageKey(Base):
    """A page dependency key and the catalogue version that last changed it."""

    __tablename__ = "page_key"

    name: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, index=True)


_KEPT = 20  # characters a key shortened to a hash keeps before its "#"


def _key(*parts: str) -> str:
    key = ":".join(parts)
    if len(key) > KEY_LENGTH:  # a long translation group: its hash stands in
        digest = hashlib.blake2b(key.encode(), digest_size=20).hexdigest()
        key = f"{key[:_KEPT]}#{digest}"
    return key


def hashed_key(name: str) -> bool:
    """Whether the key ``name`` was shortened to a hash: its parts (the kind and
    translation group of an item key) cannot be read back from it."""
    return len(name) == _KEPT + 41 and name[_KEPT] == "#"


def item_key(kind: str, translation: str) -> str:
    """The key of an item's pages: every language version of it."""
    return _key("item", kind, translation)


def kind_key(kind: str) -> str:
    """The key of a kind's listing and feeds."""
    return _key("kind", kind)


def tag_key(tag: str) -> str:
    """The key of a topic's page and feeds (and of item pages relating by it)."""
    return _key("tag", tag)


def region_key(region: str) -> str:
    """The key of a region's page and feeds (and of item pages relating by it)."""
    return _key("region", region)


NEWSLETTERS = "newsletters"


def item_page_keys(item: Item) -> list[str]:
    """What an item's page shows: the item (every version), and the items related
    by its topics and regions."""
    return [
        item_key(item.kind, item.translation),
        *(tag_key(t) for t in item.tag_names),
        *(region_key(r) for r in item.region_names),
    ]


def _old_and_new(obj: Any, name: str) -> list[Any]:
    history = inspect(obj).attrs[name].history
    return [*history.unchanged, *history.added, *history.deleted] or [
        getattr(obj, name)
    ]


def _changed_keys(session: Session) -> set[str]:
    """The keys of what this flush changes, before and after the change."""
    objects = [
        o for o in (*session.new, *session.deleted) if isinstance(o, WATCHED)
    ] + [o for o in session.dirty if isinstance(o, WATCHED) and session.is_modified(o)]
    if not objects:
        return set()
    keys = {ALL}
    ids: set[int] = set()
    for o in objects:
        if isinstance(o, Item):
            for kind in _old_and_new(o, "kind"):
                keys.add(kind_key(kind))
                keys.update(item_key(kind, t) for t in _old_and_new(o, "translation"))
            if o.id is not None:
                ids.add(o.id)
        elif isinstance(o, ItemTag | ItemRegion):
            to_key = tag_key if isinstance(o, ItemTag) else region_key
            keys.update(to_key(name) for name in _old_and_new(o, "name"))
            if o.item_id is not None:
                ids.add(o.item_id)
            elif o.item is not None:
                keys.add(kind_key(o.item.kind))
                keys.add(item_key(o.item.kind, o.item.translation))
        elif isinstance(o, ReportFile):
            if o.item_id is not None:
                ids.add(o.item_id)
            elif o.item is not None:
                keys.add(item_key(o.item.kind, o.item.translation))
        else:
            keys.add(NEWSLETTERS)
    keys.update(_keys_of_items(session.connection(), ids))
    return keys


def _keys_of_items(connection: Connection, ids: Iterable[int]) -> set[str]:
    """The stored items' keys: item, kind, topics and regions."""
    keys: set[str] = set()
    wanted = sorted(ids)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for kind, translation in connection.execute(
            select(Item.kind, Item.translation).where(Item.id.in_(chunk))
        ):
            keys.add(kind_key(kind))
            keys.add(item_key(kind, translation))
        for (name,) in connection.execute(
            select(ItemTag.name).where(ItemTag.item_id.in_(chunk)).distinct()
        ):
            keys.add(tag_key(name))
        for (name,) in connection.execute(
            select(ItemRegion.name).where(ItemRegion.item_id.in_(chunk)).distinct()
        ):
            keys.add(region_key(name))
    return keys


def _put(session: Session, model: type[PageKey | SiteState], rows: list[Any]) -> None:
    """Insert ``rows`` (name, value) into ``model``'s table, or set their value."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[model.name], set_={"value": statement.excluded.value}
        ),
        rows,
    )


def _stamp_keys(session: Session, keys: set[str], version: int) -> None:
    _put(session, PageKey, [{"name": key, "value": version} for key in sorted(keys)])


def _bump(session: Session, _context: Any, _instances: Any) -> None:
    keys = _changed_keys(session)
    if not keys:
        return
    version: int | None = session.info.get(_STAMPED)
    if version is None:
        result = session.execute(
            update(SiteState)
            .where(SiteState.name == "catalogue")
            .values(value=SiteState.value + 1)
        )
        if getattr(result, "rowcount", 1) == 0:
            session.add(SiteState(name="catalogue", value=1))
            version = 1
        else:
            version = session.scalar(
                select(SiteState.value).where(SiteState.name == "catalogue")
            )
        session.info[_STAMPED] = version = int(version or 0)
        _draw_nonce(session, version)
    _stamp_keys(session, keys, version)


NONCE_SLOTS = 1000


def nonce_name(version: int) -> str:
    """The ``site_state`` row holding the random number catalogue ``version``
    drew (kept for the last thousand versions)."""
    return f"nonce:{version % NONCE_SLOTS}"


def _draw_nonce(session: Session, version: int) -> None:
    """A random number for each new version: with the counter, it names one
    state of one database (a database restored from a backup and changed again
    reaches the same counter with other numbers)."""
    drawn = {"name": nonce_name(version), "value": secrets.randbelow(2**31)}
    _put(session, SiteState, [drawn])


def _reset(session: Session, *_args: Any) -> None:
    session.info.pop(_STAMPED, None)


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "before_flush", _bump):
        event.listen(Session, "before_flush", _bump)
        event.listen(Session, "after_commit", _reset)
        event.listen(Session, "after_rollback", _reset)


_PUBLIC = ("published", "archived")


def _edges(now: Any, *, due: bool) -> ColumnElement[Any]:
    """The newest time at or before ``now`` (``due``), or the first after it, at
    which what the public sees moves without an edit: an item or an issue comes
    due; an event is over (its end, else its start) and moves from the upcoming
    events to the past ones.

    One index probe per status and time (migration 0028 for the events' times),
    the latest (or earliest) of them taken once: a status list made each probe
    a sort of every public row, and nesting them in CASEs evaluated them again
    and again (100 ms at 100,000 items on SQLite)."""

    def probe(column: Any, status: Any, *where: Any) -> Any:
        return (
            select(column)
            .where(status, column <= now if due else column > now, *where)
            .order_by(column.desc() if due else column.asc())
            .limit(1)
            .scalar_subquery()
            .label("moment")
        )

    probes = []
    for name in _PUBLIC:
        probes += [
            probe(Item.published_at, Item.status == name),
            probe(Newsletter.published_at, Newsletter.status == name),
            probe(Item.ends_at, Item.status == name, Item.kind == "event"),
            probe(
                Item.starts_at, Item.status == name, Item.kind == "event",
                Item.ends_at.is_(None),
            ),
        ]  # fmt: skip
    moments = union_all(*(select(moment) for moment in probes)).subquery()
    extreme = func.max if due else func.min
    return select(extreme(moments.c.moment)).scalar_subquery()


def newest_due(now: Any) -> ColumnElement[Any]:
    """The newest publication time (an item or an issue) or event end at or
    before ``now``."""
    return _edges(now, due=True)


def next_scheduled(now: Any) -> ColumnElement[Any]:
    """The first publication time or event end after ``now``: when ``newest_due``
    next moves."""
    return _edges(now, due=False)


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


def due_keys(
    connection: Connection, since: datetime | None, until: datetime | None
) -> set[str]:
    """The keys of what came due in ``(since, until]``: items published, events
    over, newsletter issues published."""
    keys = {ALL}
    if until is None:
        return keys

    def within(column: Any) -> ColumnElement[bool]:
        inside: ColumnElement[bool] = column <= until
        return inside if since is None else and_(inside, column > since)

    ended = func.coalesce(Item.ends_at, Item.starts_at)
    ids = connection.scalars(
        select(Item.id).where(
            Item.status.in_(_PUBLIC),
            or_(within(Item.published_at), (Item.kind == "event") & within(ended)),
        )
    ).all()
    keys.update(_keys_of_items(connection, ids))
    issues = connection.scalar(
        select(func.count())
        .select_from(Newsletter)
        .where(Newsletter.status.in_(_PUBLIC), within(Newsletter.published_at))
    )
    if issues:
        keys.add(NEWSLETTERS)
    return keys


PAGE_STAMPS = StampSource(
    name="catalogue",
    window=_WINDOW,
    version_sql="SELECT value FROM site_state WHERE name = 'catalogue'",
    keys=PageKey.__table__,  # type: ignore[arg-type]
    due_keys=due_keys,
)
"""What the page cache keys public pages on: ``cache_key``, read cheaply."""
