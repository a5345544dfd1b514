"""A rendered-response cache shared by every worker process, keyed on a stamp.

Entries are files under ``<instance>/cache/<stamp>/``. The stamp is what the layer
that owns the content describes at app set-up (a ``StampSource``: the catalogue's,
see ``comms.catalogue.stamp.PAGE_STAMPS``): it changes on every change and when a
scheduled item comes due, so a publish, an edit, a sync or a scheduled time makes
every worker and every host sharing the folder rebuild at once. Entries of older
stamps are pruned when a newer one is first written. A hit costs the read of a small
signal file (``StampReader``: the version row is read only when the signal moved)
and one file read, or none when the same process served that entry lately.

This module imports no feature: features hand it what they need (the stamp source
and the request clock at set-up, ``on_replay`` hooks per answer).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from flask import Flask, Response, current_app, request
from sqlalchemy import Connection, Engine, Executable
from werkzeug.http import http_date

from comms.self_requests import is_static_copy

EXTENSION_KEY = "comms.page_cache"
STAMP_KEY = "comms.stamp_reader"
CLOCK_KEY = "comms.page_cache_clock"
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
# Entries each process keeps on disk under the current stamp (its oldest go first).
MAX_ENTRIES = 2000
MEMORY_ENTRIES = 64
# Keys of pages built once and not stored (see PageCache.seen_before), per process.
SEEN_KEYS = 10_000


@dataclass(frozen=True)
class Rendered:
    """A freshly rendered response body and its media type."""

    body: bytes
    content_type: str


@dataclass(frozen=True)
class CachedPage:
    """A cached response: body, media type, ETag and when it was built."""

    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
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

    stamp: str | None = None  # set by cached_response when the answer is replayable
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


def _page_of(rendered: Rendered, built: datetime) -> CachedPage:
    """``rendered`` as a page with its validators, stored or not."""
    return CachedPage(
        body=rendered.body,
        content_type=rendered.content_type,
        etag=etag_of(rendered.body),
        last_modified=built.replace(microsecond=0),
    )


class PageCache:
    """Rendered bytes on disk under ``root``, one folder per stamp."""

    def __init__(
        self, root: Path, max_entries: int = MAX_ENTRIES, memory: int = MEMORY_ENTRIES
    ) -> None:
        self.root = root
        self._root = str(root)
        self.max_entries = max_entries
        # Recently served entries of this process, by (stamp, key): safe to keep
        # because every lookup names the current stamp, so a change misses at once.
        self._memory: OrderedDict[tuple[str, str], CachedPage] = OrderedDict()
        self._memory_size = memory
        # What this process wrote under the current stamp, oldest first: trimming
        # one entry per put never needs a scan of the folder.
        self._written: deque[str] = deque()
        self._seen: OrderedDict[str, None] = OrderedDict()

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

    def _remember(self, stamp: str, key: str, page: CachedPage) -> CachedPage:
        self._memory[(stamp, key)] = page
        if len(self._memory) > self._memory_size:
            with contextlib.suppress(KeyError):  # another thread trimmed it first
                self._memory.popitem(last=False)
        return page

    def _path(self, stamp: str, key: str) -> str:
        # Plain strings, not pathlib: this runs on every request.
        name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
        return os.path.join(self._root, stamp, name)

    def get(self, stamp: str, key: str) -> CachedPage | None:
        """The entry stored for ``key`` under ``stamp``, or None."""
        remembered = self._memory.get((stamp, key))
        if remembered is not None:
            return remembered
        try:
            with open(self._path(stamp, key), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        try:
            etag, content_type, built, body = data.split(b"\n", 3)
            page = CachedPage(
                body=body,
                content_type=content_type.decode("ascii"),
                etag=etag.decode("ascii"),
                last_modified=datetime.fromtimestamp(int(built), UTC),
            )
        except ValueError:
            return None
        return self._remember(stamp, key, page)

    def put(
        self, stamp: str, key: str, rendered: Rendered, built: datetime
    ) -> CachedPage:
        """Store ``rendered`` atomically (temp file, then rename) and return it."""
        page = _page_of(rendered, built)
        folder = self.root / stamp
        fresh = not folder.is_dir()
        path = self._path(stamp, key)
        header = (
            f"{page.etag}\n{page.content_type}\n{int(page.last_modified.timestamp())}\n"
        ).encode("ascii")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(header + page.body)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            # Another process pruned the folder meanwhile: serve without caching.
            return page
        # A new stamp drops the old folders; a stream of new keys (searches) makes
        # each process remove its own oldest entry once it holds ``max_entries``.
        if fresh:
            self.prune(keep=stamp)
        written = self._written
        if written and os.path.dirname(written[-1]) != os.path.dirname(path):
            written.clear()  # written under an older stamp: already pruned
        written.append(path)
        while len(written) > self.max_entries:
            with contextlib.suppress(OSError):
                os.unlink(written.popleft())
        return self._remember(stamp, key, page)

    def prune(self, keep: str) -> None:
        """Remove every stamp folder but ``keep``; trim ``keep`` if it grew too big."""
        for remembered in [k for k in list(self._memory) if k[0] != keep]:
            self._memory.pop(remembered, None)
        with contextlib.suppress(OSError):
            for child in self.root.iterdir():
                if child.name != keep and child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
        folder = self.root / keep
        with contextlib.suppress(OSError):
            entries = [e for e in os.scandir(folder) if not e.name.startswith(".")]
            if len(entries) > self.max_entries:
                entries.sort(key=lambda e: e.stat().st_mtime)
                # Down to 90%, oldest first: small, frequent trims keep any one
                # request from deleting thousands of files.
                excess = len(entries) - self.max_entries * 9 // 10
                for entry in entries[:excess]:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _stamp_text(version: int | None, due: datetime | None) -> str:
    return f"{version or 0}-{due.timestamp() if due else 0:.0f}"


class Listener(Protocol):
    """Told after every commit that changed what the stamp covers."""

    def changed(self) -> None:
        """The content changed (the commit is done)."""


@dataclass(frozen=True)
class StampSource:
    """What the cache keys on, described by the layer that owns the content.

    The stamp is a version every change bumps, joined with the newest scheduled
    time that has come due. ``window`` is a statement with a ``now`` parameter
    giving one row (version, due, next): the version, that newest due time, and the
    first scheduled time after ``now`` (when "due" next moves). ``version_sql`` reads
    the version alone (a primary-key read, the same text on every database).
    ``watch(engine, listener)`` calls ``listener.changed()`` after every commit that
    bumps the version of ``engine``'s database. ``name`` names the signal file.
    """

    name: str
    window: Executable
    version_sql: str
    watch: Callable[[Engine, Listener], None]

    def stamp(self, connection: Connection, now: datetime) -> str:
        """The stamp at ``now``, in one round trip."""
        version, due, _next = connection.execute(self.window, {"now": now}).one()
        return _stamp_text(version, due)

    def signal_path(self, root: Path) -> Path:
        """The change-signal file of this source in the cache folder ``root``."""
        return root / f".{self.name}"


# How long a process trusts the change signal alone before it reads the version row
# again: a bound on staleness for a change the signal cannot tell of (a host with
# its own instance folder on a shared database, an edit made with SQL by hand).
RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class _Window:
    """The stamp of one version while ``due <= now < until``.

    ``signal`` is the change signal read before the version was: while the signal
    file still holds it (and until ``trusted_until``), the version has not moved.
    """

    version: int
    due: datetime | None
    until: datetime | None
    stamp: str
    signal: bytes | None = None
    trusted_until: float = 0.0

    def in_time(self, now: datetime) -> bool:
        return (self.due is None or self.due <= now) and (
            self.until is None or now < self.until
        )

    def covers(self, version: int, now: datetime) -> bool:
        return version == self.version and self.in_time(now)


class StampReader:
    """The stamp of each request, without a database read when unchanged.

    Equal to ``source.stamp`` at every moment: the version row changes in the same
    transaction as every change, and for one version the newest due publication
    changes only when the clock reaches the next scheduled one, so that window is
    remembered per version. After every such commit, the process that made it
    rewrites the signal file (``<cache>/.<source name>``: ``changed``); a request
    reads that small file, and only when its content moved (or the file is missing,
    or ``RECHECK_SECONDS`` passed) the version row, on a connection that each thread
    keeps open in autocommit mode, outside the pool. The file is written after the
    commit and read before the row, so a change is seen by the first request that
    starts after the changing request (or command) returned, in every process that
    shares the cache folder.
    """

    def __init__(
        self, engine: Engine, source: StampSource, signal: Path | None = None
    ) -> None:
        self.engine = engine
        self.source = source
        self.signal = signal
        self._local = threading.local()
        self._window: _Window | None = None
        self._opened: list[tuple[int, Any]] = []  # (pid, connection)
        # Close the held connections when the app goes away, not at garbage time.
        weakref.finalize(self, _close_all, self._opened)

    def changed(self) -> None:
        """Tell every process sharing the cache folder: the content changed."""
        self._window = None
        with contextlib.suppress(OSError):  # the version row still tells, later
            self._write_signal(replace=True)

    def _write_signal(self, *, replace: bool) -> bytes | None:
        # A new random token, written whole (temp file, then rename or link).
        if self.signal is None:
            return None
        token = os.urandom(16).hex().encode("ascii")
        os.makedirs(self.signal.parent, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.signal.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(token)
            if replace:
                os.replace(tmp, self.signal)
            else:
                os.link(tmp, self.signal)  # fails if a writer got there first
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return token

    def _signal(self) -> bytes | None:
        if self.signal is None:
            return None
        try:
            fd = os.open(self.signal, os.O_RDONLY)
        except FileNotFoundError:
            # No process has changed the content since the folder was made (a
            # fresh cache, a bulk load): start the signal, never over a writer's.
            try:
                return self._write_signal(replace=False)
            except OSError:
                return None
        except OSError:
            return None
        try:
            return os.read(fd, 64)
        finally:
            os.close(fd)

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

    def stamp(self, now: datetime) -> str:
        """The stamp for ``now``: no read while the signal holds, else the version."""
        signal = self._signal()
        window = self._window
        clock = time.monotonic()
        if (
            window is not None
            and signal is not None
            and signal == window.signal
            and clock < window.trusted_until
            and window.in_time(now)
        ):
            return window.stamp
        trusted_until = clock + RECHECK_SECONDS
        if window is not None and window.covers(self.version(), now):
            self._window = replace(window, signal=signal, trusted_until=trusted_until)
            return window.stamp
        with self.engine.connect() as connection:
            version, due, until = connection.execute(
                self.source.window, {"now": now}
            ).one()
        self._window = _Window(
            version or 0, due, until, _stamp_text(version, due), signal, trusted_until
        )
        return self._window.stamp

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
    """A method-independent key: the request path and the given normalised params."""
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params))
    return f"{request.path}?{query}"


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


def cached_response(
    key: str,
    build: Callable[[], Rendered],
    *,
    max_age: int = 60,
    vary: str | None = None,
    store_on_repeat: bool = False,
) -> Response:
    """Serve ``key`` from the shared cache, building it on a miss; answer 304s.

    ``vary`` names the request headers the key was derived from, so that shared
    caches in front of the site (a proxy, a CDN) keep one copy per variant.
    ``store_on_repeat``: store the page only when this process builds it a second
    time (see PageCache.seen_before).
    """
    stamp = current_stamp()
    cache = page_cache()
    environ = request.environ
    # A static export reads each page once: storing them all would only push the
    # pages visitors ask for out of the cache, and its answers are never replayed.
    export = is_static_copy(environ)
    page = cache.get(stamp, key)
    replayable = not export
    if page is None:
        rendered, built = build(), datetime.now(UTC)
        replayable = not export and (not store_on_repeat or cache.seen_before(key))
        if replayable:
            page = cache.put(stamp, key, rendered, built)
        else:
            page = _page_of(rendered, built)
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
        kept.stamp = stamp
    if _not_modified(page):
        return Response(status=304, headers=headers)
    if kept is not None and request.method == "GET":
        kept.body = page.body
    return Response(page.body, content_type=page.content_type, headers=headers)


class AnswerReplay:
    """WSGI middleware: a repeated request for a cached page is answered without Flask.

    An answer of ``cached_response`` (a page, or its 304) depends only on the request
    (method, path, query, host, the headers the page varies on, the validators) and
    on the catalogue stamp, so an identical request under the same stamp gets the
    same answer: it is replayed, status, headers and body, after one stamp read
    (the signal file). Answers that set a cookie are never replayed. A replay runs
    the hooks the answer was handed through ``on_replay`` (counting counts an item
    view or a feed fetch there, for the replaying request). Each process keeps at
    most ``size`` answers and ``max_bytes`` of bodies, dropping them all when full
    (and at every new stamp, which no kept answer matches).
    """

    def __init__(
        self, app: Flask, wsgi_app: Any, size: int = 512, max_bytes: int = 16 << 20
    ) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.size = size
        self.max_bytes = max_bytes
        self._bytes = 0
        self._answers: dict[
            tuple[str | None, ...],
            tuple[str, str, list[Any], bytes, tuple[ReplayHook, ...]],
        ] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Replay a known answer when the stamp is unchanged, else run the app."""
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return self.wsgi_app(environ, start_response)
        key = tuple(environ.get(name) for name in _REPLAY_KEY)
        known = self._answers.get(key)
        if known is not None:
            stamp, status, headers, body, hooks = known
            reader: StampReader = self.app.extensions[STAMP_KEY]
            if reader.stamp(datetime.now(UTC).replace(microsecond=0)) == stamp:
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
        if kept is not None and kept.stamp is not None and answer:
            self._keep(key, kept.stamp, kept, answer[0], answer[1])
        return result

    def _keep(
        self,
        key: tuple[str | None, ...],
        stamp: str,
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
        if len(self._answers) >= self.size or self._bytes + len(body) > self.max_bytes:
            self._answers.clear()
            self._bytes = 0
        self._answers[key] = (stamp, status, list(headers), body, tuple(kept.hooks))
        self._bytes += len(body)


def init_app(app: Flask, source: StampSource, clock: Callable[[], datetime]) -> None:
    """Give the app its page cache under ``<instance>/cache`` (idempotent).

    ``source`` says what the pages are keyed on; ``clock`` is the request's time,
    the one its views decide what is due by (read once per request).
    """
    if EXTENSION_KEY not in app.extensions:
        root = app.extensions["comms"].settings.instance_path / "cache"
        app.extensions[EXTENSION_KEY] = PageCache(root)
        engine = app.extensions["comms"].engine
        reader = StampReader(engine, source, source.signal_path(root))
        source.watch(engine, reader)
        app.extensions[STAMP_KEY] = reader
        app.extensions[CLOCK_KEY] = clock
        app.wsgi_app = AnswerReplay(app, app.wsgi_app)  # type: ignore[method-assign]


__all__ = [
    "CachedPage",
    "PageCache",
    "Rendered",
    "StampReader",
    "StampSource",
    "cached_response",
    "current_stamp",
    "etag_of",
    "init_app",
    "on_replay",
    "page_cache",
    "page_key",
    "request_key",
]
