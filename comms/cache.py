"""A rendered-response cache shared by every worker process, with dependency keys.

Entries are files under ``<instance>/cache/pages/``. While a page is built, the
features it shows name their dependency keys (``depends_on``: like a CDN's
surrogate keys, e.g. an item, a kind's listing, a topic); a page naming none
depends on ``ALL``. The layer that owns the content describes at app set-up what
the keys are stamped with (a ``StampSource``: the catalogue's, see
``comms.catalogue.stamp.PAGE_STAMPS``): one version counter, bumped by every change
in the change's own transaction, which also stamps each key the change affects
with the new version, in a table of the database. An entry remembers the version
and the newest due publication time it was built under, and its keys; it stays
valid while none of its keys was stamped since and no scheduled item of its keys
came due. So a change throws away only the pages that show it, on every host
sharing the database: each request reads the version row (one primary-key read on
a held connection), and only when it moved, the keys stamped since.

This module imports no feature: features hand it what they need (the stamp source
and the request clock at set-up, their keys while building, ``on_replay`` hooks per
answer).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, request
from sqlalchemy import Connection, Engine, Executable, Table, func, select
from werkzeug.http import http_date

from comms.self_requests import is_static_copy

EXTENSION_KEY = "comms.page_cache"
STAMP_KEY = "comms.stamp_reader"
CLOCK_KEY = "comms.page_cache_clock"
# The key of a page that names none: every change stamps it.
ALL = "*"
# The WSGI environ slot where cached_response and on_replay leave an _Answer for
# AnswerReplay (the one channel from the Flask side of this module to its middleware).
_ANSWER = "comms.cache.answer"
# Everything of a request an answer of cached_response can depend on.
_REPLAY_KEY = (
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_HOST",
    "HTTP_ACCEPT",  # a feed's media type: XML a browser renders, or the feed's own
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_COOKIE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_RANGE",
)
# Entries kept on disk (shared by the processes of a host; the oldest go first).
MAX_ENTRIES = 20_000
MEMORY_ENTRIES = 256
# Keys of pages built once and not stored (see PageCache.seen_before), per process.
SEEN_KEYS = 10_000
# A process checks the size of the folder every so many writes.
PRUNE_EVERY = 500
# Numbers the temporary files of this process's page writes.
_WRITES = itertools.count()
# Keys stamped since a process started that it remembers before it starts over
# (then entries older than that ask the database for their keys' stamps).
CHANGES_KEPT = 100_000

# The keys named while the current page is built (None: no page is being built).
_BUILDING: ContextVar[set[str] | None] = ContextVar("comms_cache_keys", default=None)


def depends_on(*keys: str) -> None:
    """Record that the page being built shows what ``keys`` name (no-op outside)."""
    building = _BUILDING.get()
    if building is not None:
        building.update(keys)


@dataclass(frozen=True)
class Rendered:
    """A freshly rendered response body and its media type."""

    body: bytes
    content_type: str


@dataclass(frozen=True)
class Deps:
    """What an entry was built under: the version, the newest due time, its keys."""

    version: int = 0
    due: float = 0.0  # a POSIX timestamp; 0: nothing was due
    keys: tuple[str, ...] = (ALL,)


@dataclass(frozen=True)
class CachedPage:
    """A cached response: body, media type, ETag, when it was built and its deps."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
    deps: Deps = Deps()
    # Header values, formatted once rather than on every request.
    quoted_etag: str = field(init=False, repr=False, compare=False)
    last_modified_http: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "quoted_etag", f'"{self.etag}"')
        object.__setattr__(self, "last_modified_http", http_date(self.last_modified))


ReplayHook = Callable[[dict[str, Any]], None]
"""Called with the WSGI environ of each replay of an answer (see ``on_replay``)."""


@dataclass
class _Answer:
    """What AnswerReplay needs to keep the answer of a request."""

    deps: Deps | None = None  # set by cached_response when the answer is replayable
    body: bytes = b""  # the body a GET answered 200 sent
    hooks: list[ReplayHook] = field(default_factory=list)


def _answer(environ: dict[str, Any]) -> _Answer:
    answer: _Answer | None = environ.get(_ANSWER)
    if answer is None:
        answer = environ[_ANSWER] = _Answer()
    return answer


def on_replay(hook: ReplayHook) -> None:
    """Call ``hook`` on every replay of the current request's answer, if it is kept.

    A replayed answer never reaches Flask: whatever a feature does for a request
    (counting a view, say) it hands over here to be done again, with the replaying
    request's environ. The hook never runs when the answer is not replayable.
    """
    _answer(request.environ).hooks.append(hook)


def etag_of(body: bytes) -> str:
    """A strong ETag value for ``body`` (a hash of the bytes)."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _page_of(rendered: Rendered, built: datetime, deps: Deps) -> CachedPage:
    """``rendered`` as a page with its validators, stored or not."""
    return CachedPage(
        body=rendered.body,
        content_type=rendered.content_type,
        etag=etag_of(rendered.body),
        last_modified=built.replace(microsecond=0),
        deps=deps,
    )


class PageCache:
    """Rendered bytes on disk under ``root``, one file per key, with their deps."""

    def __init__(
        self,
        root: Path,
        max_entries: int = MAX_ENTRIES,
        memory: int = MEMORY_ENTRIES,
        *,
        salt: str = "",
    ) -> None:
        self.root = root
        self._root = str(root)
        # Mixed into every entry's file name: entries built under other settings,
        # another site file or other code are never read (see app_fingerprint).
        self._salt = salt
        self.max_entries = max_entries
        # Recently served entries of this process: each is checked like one read
        # from disk, so keeping them is safe.
        self._memory: OrderedDict[str, CachedPage] = OrderedDict()
        self._memory_size = memory
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._puts = 0

    def seen_before(self, key: str) -> bool:
        """True when this process built ``key`` before; remember it if not.

        Pages with endless keys (one per search) are stored on their second
        request only: a query asked once costs no file, and never pushes the
        pages people do ask for again out of the cache.
        """
        seen = self._seen
        if key in seen:
            with contextlib.suppress(KeyError):  # another thread trimmed it first
                del seen[key]
            return True
        seen[key] = None
        if len(seen) > SEEN_KEYS:
            with contextlib.suppress(KeyError):
                seen.popitem(last=False)
        return False

    def _remember(self, key: str, page: CachedPage) -> CachedPage:
        self._memory[key] = page
        if len(self._memory) > self._memory_size:
            with contextlib.suppress(KeyError):  # another thread trimmed it first
                self._memory.popitem(last=False)
        return page

    def _path(self, key: str) -> str:
        # Plain strings, not pathlib: this runs on every request.
        name = hashlib.sha256(f"{self._salt}\0{key}".encode()).hexdigest()[:40]
        return os.path.join(self._root, name)

    def get(self, key: str) -> CachedPage | None:
        """The entry stored for ``key`` (valid or not: see StampReader.fresh)."""
        remembered = self._memory.get(key)
        if remembered is not None:
            return remembered
        try:
            with open(self._path(key), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        try:
            etag, content_type, built, deps, body = data.split(b"\n", 4)
            version, due, keys = json.loads(deps)
            page = CachedPage(
                body=body,
                content_type=content_type.decode("ascii"),
                etag=etag.decode("ascii"),
                last_modified=datetime.fromtimestamp(int(built), UTC),
                deps=Deps(int(version), float(due), tuple(keys)),
            )
        except ValueError:
            return None
        return self._remember(key, page)

    def forget(self, key: str) -> None:
        """Drop ``key`` from this process's memory (its file is rewritten later)."""
        self._memory.pop(key, None)

    def put(
        self, key: str, rendered: Rendered, built: datetime, deps: Deps
    ) -> CachedPage:
        """Store ``rendered`` atomically (temp file, then rename) and return it."""
        page = _page_of(rendered, built, deps)
        header = (
            f"{page.etag}\n{page.content_type}\n{int(page.last_modified.timestamp())}\n"
            + json.dumps([deps.version, deps.due, list(deps.keys)])
            + "\n"
        ).encode("utf-8")
        try:
            write_atomic(self._path(key), header + page.body)
        except OSError:
            return page  # a full or read-only disk: serve without caching
        self._puts += 1
        if self._puts % PRUNE_EVERY == 0 or self.max_entries < PRUNE_EVERY:
            self.prune()
        return self._remember(key, page)

    def prune(self) -> None:
        """Down to 90% of ``max_entries``, the least recently written first."""
        with contextlib.suppress(OSError):
            entries = [e for e in os.scandir(self._root) if not e.name.startswith(".")]
            if len(entries) <= self.max_entries:
                return
            entries.sort(key=lambda e: e.stat().st_mtime)
            # Small, frequent trims keep any one request from deleting thousands.
            excess = len(entries) - self.max_entries * 9 // 10
            for entry in entries[:excess]:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` at ``path`` through a temporary file beside it, renamed over
    it: a reader sees the old bytes or the new, never part of them.

    The temporary file's name is this process's own (mkstemp's random names cost
    more, and mkstemp's files are readable by their owner alone: a web server
    running as another user must read an export). Its folder is made when missing.
    """
    folder = os.path.dirname(path)
    # Plain strings, not pathlib: the page cache writes on every page it stores.
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{next(_WRITES)}")
    try:
        try:
            _write(tmp, data)
        except FileNotFoundError:  # the first file, or the folder was emptied
            os.makedirs(folder, exist_ok=True)
            _write(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)


def _stamp_text(version: int | None, due: datetime | None) -> str:
    return f"{version or 0}-{due.timestamp() if due else 0:.0f}"


DueKeys = Callable[[Connection, datetime | None, datetime | None], set[str]]
"""The keys of what came due between two times (exclusive, inclusive)."""


@dataclass(frozen=True)
class StampSource:
    """What the cache keys on, described by the layer that owns the content.

    The stamp is a version every change bumps, joined with the newest scheduled
    time that has come due. ``window`` is a statement with a ``now`` parameter
    giving one row (version, due, next): the version, that newest due time, and the
    first scheduled time after ``now`` (when "due" next moves). ``version_sql`` reads
    the version alone (a primary-key read, the same text on every database).
    ``keys`` is the table (``name``, ``value``) where every change stamps each key
    it affects with the version it bumped to; ``due_keys`` names the keys of what
    comes due between two times.
    """

    name: str
    window: Executable
    version_sql: str
    keys: Table
    due_keys: DueKeys

    def stamp(self, connection: Connection, now: datetime) -> str:
        """The stamp at ``now``, in one round trip."""
        version, due, _next = connection.execute(self.window, {"now": now}).one()
        return _stamp_text(version, due)


@dataclass(frozen=True)
class Snapshot:
    """The content's version and newest due publication time at one moment."""

    version: int
    due: datetime | None
    stamp: str

    @property
    def due_timestamp(self) -> float:
        """``due`` as a POSIX timestamp (0 when nothing is due)."""
        return self.due.timestamp() if self.due else 0.0

    def deps(self, keys: Iterable[str]) -> Deps:
        """The deps of a page built now showing ``keys`` (``ALL`` when none)."""
        return Deps(self.version, self.due_timestamp, tuple(sorted(keys)) or (ALL,))


@dataclass(frozen=True)
class _Window:
    """The snapshot of one version while ``due <= now < until``."""

    until: datetime | None
    snapshot: Snapshot

    def in_time(self, now: datetime) -> bool:
        due = self.snapshot.due
        return (due is None or due <= now) and (self.until is None or now < self.until)

    def covers(self, version: int, now: datetime) -> bool:
        return version == self.snapshot.version and self.in_time(now)


def _moment(timestamp: float) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp else None


class StampReader:
    """The snapshot of each request, and whether an entry is still fresh.

    Every snapshot reads the version row, on a connection that each thread keeps
    open in autocommit mode outside the pool: a change committed on any host is
    seen by the next request. For one version the newest due publication changes
    only when the clock reaches the next scheduled one, so that window is
    remembered per version. When the version moved, the keys stamped since the
    last look are read once and kept (``CHANGES_KEPT`` of them), so checking an
    entry costs no further read, unless it is older than what this process knows.
    """

    def __init__(self, engine: Engine, source: StampSource) -> None:
        self.engine = engine
        self.source = source
        self._local = threading.local()
        self._window: _Window | None = None
        self._opened: list[tuple[int, Any]] = []  # (pid, connection)
        self._lock = threading.Lock()
        # Keys stamped after ``_base``, read up to version ``_synced``.
        self._base: int | None = None
        self._synced = 0
        self._changes: dict[str, int] = {}
        self._due: OrderedDict[tuple[float, float], frozenset[str]] = OrderedDict()
        # Close the held connections when the app goes away, not at garbage time.
        weakref.finalize(self, _close_all, self._opened)

    def _open(self) -> Any:
        dialect = self.engine.dialect
        cargs, cparams = dialect.create_connect_args(self.engine.url)
        if dialect.name == "sqlite":
            cparams.setdefault("timeout", 10)
        connection = dialect.connect(*cargs, **cparams)
        if dialect.name == "sqlite":
            connection.isolation_level = None  # autocommit: no lingering snapshot
        else:
            connection.autocommit = True
        self._opened.append((os.getpid(), connection))
        return connection

    def _connection(self) -> Any:
        held = getattr(self._local, "held", None)
        if held is None or held[0] != os.getpid():  # a forked child opens its own
            held = (os.getpid(), self._open())
            self._local.held = held
        return held[1]

    def _forget(self) -> None:
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            with contextlib.suppress(Exception):
                self._opened.remove(held)
                held[1].close()

    def version(self) -> int:
        """The version row (0 when missing); retried once on a new link."""
        for attempt in (1, 2):
            try:
                cursor = self._connection().cursor()
                try:
                    cursor.execute(self.source.version_sql)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                return int(row[0]) if row and row[0] is not None else 0
            except Exception:
                self._forget()  # a dropped connection: reconnect once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def snapshot(self, now: datetime) -> Snapshot:
        """The version and newest due time at ``now`` (one primary-key read)."""
        version = self.version()
        if self._base is None:  # entries built from now on are checked in memory
            with self._lock:
                if self._base is None:
                    self._base = self._synced = version
        window = self._window
        if window is not None and window.covers(version, now):
            return window.snapshot
        with self.engine.connect() as connection:
            version, due, until = connection.execute(
                self.source.window, {"now": now}
            ).one()
        snapshot = Snapshot(version or 0, due, _stamp_text(version, due))
        self._window = _Window(until, snapshot)
        return snapshot

    def stamp(self, now: datetime) -> str:
        """The stamp for ``now``: changes whenever any key may have changed."""
        return self.snapshot(now).stamp

    def fresh(self, deps: Deps, now: Snapshot) -> bool:
        """Whether a page built under ``deps`` still shows what it would at ``now``."""
        if deps.version < now.version and self._stamped_since(deps, now.version):
            return False
        due = now.due_timestamp
        if deps.due != due:
            came_due = self._came_due(min(deps.due, due), max(deps.due, due))
            return not came_due.intersection(deps.keys)
        return True

    def _stamped_since(self, deps: Deps, version: int) -> bool:
        with self._lock:
            self._sync(version)
            base, changes = self._base, self._changes
        if base is not None and deps.version >= base:
            return any(changes.get(key, 0) > deps.version for key in deps.keys)
        table = self.source.keys
        with self.engine.connect() as connection:
            newest = connection.scalar(
                select(func.max(table.c.value)).where(table.c.name.in_(deps.keys))
            )
        return newest is not None and int(newest) > deps.version

    def _sync(self, version: int) -> None:
        # Versions commit in order (the row is locked until the commit), so every
        # key stamped up to ``version`` is in the table when ``version`` is read.
        if self._base is None or len(self._changes) > CHANGES_KEPT:
            self._base = self._synced = version
            self._changes = {}
            return
        if version <= self._synced:
            return
        table = self.source.keys
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.name, table.c.value).where(table.c.value > self._synced)
            ).all()
        changes = dict(self._changes)
        for name, value in rows:
            changes[name] = max(int(value), changes.get(name, 0))
        self._changes = changes
        self._synced = version

    def _came_due(self, start: float, end: float) -> frozenset[str]:
        memo = self._due.get((start, end))
        if memo is not None:
            return memo
        # A timestamp's float gives back the same microsecond (Python rounds it).
        with self.engine.connect() as connection:
            keys = frozenset(
                self.source.due_keys(connection, _moment(start), _moment(end))
            )
        self._due[(start, end)] = keys
        if len(self._due) > 64:
            self._due.popitem(last=False)
        return keys

    def close(self) -> None:
        """Close every connection this reader opened."""
        self._local = threading.local()
        _close_all(self._opened)


def _close_all(connections: list[tuple[int, Any]]) -> None:
    # Only this process's own: closing a connection inherited through a fork would
    # end the parent's session on a server database.
    while connections:
        pid, connection = connections.pop()
        if pid == os.getpid():
            with contextlib.suppress(Exception):
                connection.close()


def current_stamp() -> str:
    """The stamp of the current request, at the request's own clock reading."""
    clock: Callable[[], datetime] = current_app.extensions[CLOCK_KEY]
    reader: StampReader = current_app.extensions[STAMP_KEY]
    return reader.stamp(clock())


def page_cache() -> PageCache:
    """The current app's page cache."""
    cache: PageCache = current_app.extensions[EXTENSION_KEY]
    return cache


def request_key(params: Iterable[tuple[str, str]]) -> str:
    """A method-independent key: the request path (under its script root: a page's
    links carry it) and the given normalised params."""
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params))
    return f"{request.script_root}{request.path}?{query}"


def page_key(*extra: tuple[str, str]) -> str:
    """``request_key`` of every query parameter (``lang`` too) and ``extra``.

    For pages whose own links carry the query on (pagination, language links), so
    two requests differing in any parameter never share an entry.
    """
    params = [(f"arg:{k}", v) for k, v in request.args.items(multi=True)]
    return request_key([*params, *extra])


def _not_modified(page: CachedPage) -> bool:
    """True when the client's copy is current (If-None-Match wins over the date)."""
    environ = request.environ
    sent = environ.get("HTTP_IF_NONE_MATCH")
    if sent is not None:
        if sent == page.quoted_etag:  # what a client echoes back: no parsing
            return True
        tags = request.if_none_match
        return tags.star_tag or tags.contains_weak(page.etag)
    if "HTTP_IF_MODIFIED_SINCE" not in environ:
        return False
    since = request.if_modified_since
    return since is not None and page.last_modified <= since


def current_snapshot() -> Snapshot:
    """The snapshot of the current request, at the request's own clock reading."""
    clock: Callable[[], datetime] = current_app.extensions[CLOCK_KEY]
    reader: StampReader = current_app.extensions[STAMP_KEY]
    return reader.snapshot(clock())


def cached_response(
    key: str,
    build: Callable[[], Rendered],
    *,
    max_age: int = 60,
    vary: str | None = None,
    store_on_repeat: bool = False,
) -> Response:
    """Serve ``key`` from the shared cache, building it on a miss; answer 304s.

    ``build`` names what the page shows with ``depends_on`` (nothing: ``ALL``).
    ``vary`` names the request headers the key was derived from, so that shared
    caches in front of the site (a proxy, a CDN) keep one copy per variant.
    ``store_on_repeat``: store the page only when this process builds it a second
    time (see PageCache.seen_before).
    """
    reader: StampReader = current_app.extensions[STAMP_KEY]
    clock: Callable[[], datetime] = current_app.extensions[CLOCK_KEY]
    # Read before the page's own queries: a change committed meanwhile is newer
    # than the version the page is stored under, so it is never missed.
    now = reader.snapshot(clock())
    cache = page_cache()
    environ = request.environ
    # A static export reads each page once: storing them all would only push the
    # pages visitors ask for out of the cache, and its answers are never replayed.
    export = is_static_copy(environ)
    page = cache.get(key)
    if page is not None and not reader.fresh(page.deps, now):
        cache.forget(key)
        page = None
    replayable = not export
    if page is None:
        keys: set[str] = set()
        token = _BUILDING.set(keys)
        try:
            rendered = build()
        finally:
            _BUILDING.reset(token)
        built, deps = datetime.now(UTC), now.deps(keys)
        replayable = not export and (not store_on_repeat or cache.seen_before(key))
        if replayable:
            page = cache.put(key, rendered, built, deps)
        else:
            page = _page_of(rendered, built, deps)
    headers = [
        ("ETag", page.quoted_etag),
        ("Last-Modified", page.last_modified_http),
        ("Cache-Control", f"public, max-age={max_age}"),
    ]
    if vary:
        headers.append(("Vary", vary))
    kept = None
    if replayable:  # stored: the same request gets the same answer
        kept = _answer(environ)
        kept.deps = page.deps
    if _not_modified(page):
        return Response(status=304, headers=headers)
    if kept is not None and request.method == "GET":
        kept.body = page.body
    return Response(page.body, content_type=page.content_type, headers=headers)


class AnswerReplay:
    """WSGI middleware: a repeated request for a cached page is answered without Flask.

    An answer of ``cached_response`` (a page, or its 304) depends only on the request
    (method, path, query, host, the headers the page varies on, the validators) and
    on the page's keys, so an identical request while the page is fresh gets the
    same answer: it is replayed, status, headers and body, after one version read.
    Answers that set a cookie are never replayed. A replay runs the hooks the
    answer was handed through ``on_replay`` (counting counts an item view or a feed
    fetch there, for the replaying request). Each process keeps at most ``size``
    answers and ``max_bytes`` of bodies, the least recently used going first.
    """

    def __init__(
        self, app: Flask, wsgi_app: Any, size: int = 4096, max_bytes: int = 48 << 20
    ) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.size = size
        self.max_bytes = max_bytes
        self._bytes = 0
        self._answers: OrderedDict[
            tuple[str | None, ...],
            tuple[Deps, str, list[Any], bytes, tuple[ReplayHook, ...]],
        ] = OrderedDict()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Replay a known answer while its page is fresh, else run the app."""
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        key = tuple(environ.get(name) for name in _REPLAY_KEY)
        known = self._answers.get(key)
        if known is not None:
            deps, status, headers, body, hooks = known
            reader: StampReader = self.app.extensions[STAMP_KEY]
            moment = datetime.now(UTC).replace(microsecond=0)  # the views' clock
            if reader.fresh(deps, reader.snapshot(moment)):
                with contextlib.suppress(KeyError):  # another thread dropped it
                    self._answers.move_to_end(key)
                for hook in hooks:
                    hook(environ)
                start_response(status, list(headers))
                return [body] if body else []
        answer: list[Any] = []

        def capture(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        kept: _Answer | None = environ.get(_ANSWER)
        if kept is not None and kept.deps is not None and answer:
            self._keep(key, kept.deps, kept, answer[0], answer[1])
        return result

    def _keep(
        self,
        key: tuple[str | None, ...],
        deps: Deps,
        kept: _Answer,
        status: str,
        headers: list[Any],
    ) -> None:
        if any(name.lower() == "set-cookie" for name, _ in headers):
            return
        if status.startswith("304"):
            body = b""
        elif status.startswith("200"):
            body = kept.body  # set for a GET only
            length = next(
                (v for n, v in headers if n.lower() == "content-length"), None
            )
            if length is None or int(length) != len(body):
                return  # not the cached body as it was sent (a HEAD, say)
        else:
            return
        answers = self._answers
        with contextlib.suppress(KeyError):  # replaced: its bytes no longer count
            self._bytes -= len(answers.pop(key)[3])
        while answers and (
            len(answers) >= self.size or self._bytes + len(body) > self.max_bytes
        ):
            with contextlib.suppress(KeyError):
                self._bytes -= len(answers.popitem(last=False)[1][3])
        answers[key] = (deps, status, list(headers), body, tuple(kept.hooks))
        self._bytes += len(body)


def init_app(app: Flask, source: StampSource, clock: Callable[[], datetime]) -> None:
    """Give the app its page cache under ``<instance>/cache`` (idempotent).

    ``source`` says what the pages are keyed on; ``clock`` is the request's time,
    the one its views decide what is due by (read once per request).
    """
    if EXTENSION_KEY not in app.extensions:
        root = app.extensions["comms"].settings.instance_path / "cache" / "pages"
        app.extensions[EXTENSION_KEY] = PageCache(root, salt=app_fingerprint(app))
        engine = app.extensions["comms"].engine
        app.extensions[STAMP_KEY] = StampReader(engine, source)
        app.extensions[CLOCK_KEY] = clock
        app.wsgi_app = AnswerReplay(app, app.wsgi_app)  # type: ignore[method-assign]


def tree_stats(root: Path, digest: Any) -> None:
    """Feed ``digest`` each file's path, size and modification time under ``root``."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = Path(folder, name)
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())


def app_fingerprint(app: Flask) -> str:
    """A hash of what every page is made of besides the records: the settings, the
    site file, the code, templates and static files. A page stored under another
    (before a move to a new COMMS_SITE_URL, say, or an upgrade) is not served."""
    state = app.extensions["comms"]
    digest = hashlib.sha256(f"{state.settings!r}\0{state.site!r}\0".encode())
    tree_stats(Path(__file__).resolve().parent, digest)  # the code
    for folder in (app.template_folder, app.static_folder):
        if folder is not None:
            tree_stats(Path(app.root_path, folder), digest)
    return digest.hexdigest()


__all__ = [
    "ALL",
    "CachedPage",
    "Deps",
    "PageCache",
    "Rendered",
    "Snapshot",
    "StampReader",
    "StampSource",
    "app_fingerprint",
    "cached_response",
    "current_snapshot",
    "current_stamp",
    "depends_on",
    "etag_of",
    "init_app",
    "on_replay",
    "page_cache",
    "page_key",
    "request_key",
    "tree_stats",
    "write_atomic",
]
