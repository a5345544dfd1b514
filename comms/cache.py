"""A rendered-response cache shared by every worker process, keyed on the catalogue.

Entries are files under ``<instance>/cache/<stamp>/``, where the stamp is
``comms.catalogue.stamp.cache_key``: it changes on every catalogue change and when a
scheduled item comes due, so a publish, an edit, a sync or a scheduled time makes
every worker and every host sharing the folder rebuild at once. Entries of older
stamps are pruned when a newer one is first written. A hit costs the two small
stamp queries (sent as one statement) and one file read, or none when the same
process served that entry under the same stamp lately.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from flask import Flask, Response, current_app, request
from sqlalchemy import Connection, bindparam, select
from werkzeug.http import http_date

from comms.catalogue.models import Item
from comms.catalogue.stamp import SiteState
from comms.web.context import comms_state, now

EXTENSION_KEY = "comms.page_cache"
MAX_ENTRIES = 5000
MEMORY_ENTRIES = 64


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


def etag_of(body: bytes) -> str:
    """A strong ETag value for ``body`` (a hash of the bytes)."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


class PageCache:
    """Rendered bytes on disk under ``root``, one folder per catalogue stamp."""

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
        page = CachedPage(
            body=rendered.body,
            content_type=rendered.content_type,
            etag=etag_of(rendered.body),
            last_modified=built.replace(microsecond=0),
        )
        folder = self.root / stamp
        fresh = not folder.is_dir()
        header = (
            f"{page.etag}\n{page.content_type}\n{int(page.last_modified.timestamp())}\n"
        ).encode("ascii")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(header + page.body)
                os.replace(tmp, self._path(stamp, key))
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            # Another process pruned the folder meanwhile: serve without caching.
            return page
        if fresh:
            self.prune(keep=stamp)
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
                for entry in entries[: len(entries) // 2]:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


# The two queries of comms.catalogue.stamp.cache_key as one statement, built once:
# a cache hit costs one compiled, cached statement on a pooled connection.
_STAMP = select(
    select(SiteState.value)
    .where(SiteState.name == "catalogue")
    .scalar_subquery()
    .label("version"),
    select(Item.published_at)
    .where(
        Item.status.in_(("published", "archived")),
        Item.published_at <= bindparam("now"),
    )
    .order_by(Item.published_at.desc())
    .limit(1)
    .scalar_subquery()
    .label("due"),
)


def catalogue_stamp(connection: Connection, now: datetime) -> str:
    """The same key as ``stamp.cache_key``, in one round trip (tested equal)."""
    version, due = connection.execute(_STAMP, {"now": now}).one()
    return f"{version or 0}-{due.timestamp() if due else 0:.0f}"


def page_cache() -> PageCache:
    """The current app's page cache."""
    cache: PageCache = current_app.extensions[EXTENSION_KEY]
    return cache


def request_key(params: Iterable[tuple[str, str]]) -> str:
    """A method-independent key: the request path and the given normalised params."""
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params))
    return f"{request.path}?{query}"


def _not_modified(page: CachedPage) -> bool:
    """True when the client's copy is current (If-None-Match wins over the date)."""
    if "If-None-Match" in request.headers:
        tags = request.if_none_match
        return tags.star_tag or tags.contains_weak(page.etag)
    since = request.if_modified_since
    return since is not None and page.last_modified <= since


def cached_response(
    key: str,
    build: Callable[[], Rendered],
    *,
    max_age: int = 60,
    vary: str | None = None,
) -> Response:
    """Serve ``key`` from the shared cache, building it on a miss; answer 304s.

    ``vary`` names the request headers the key was derived from, so that shared
    caches in front of the site (a proxy, a CDN) keep one copy per variant.
    """
    with comms_state().engine.connect() as connection:
        stamp = catalogue_stamp(connection, now())
    cache = page_cache()
    page = cache.get(stamp, key)
    if page is None:
        page = cache.put(stamp, key, build(), datetime.now(UTC))
    headers = {
        "ETag": f'"{page.etag}"',
        "Last-Modified": http_date(page.last_modified),
        "Cache-Control": f"public, max-age={max_age}",
    }
    if vary:
        headers["Vary"] = vary
    if _not_modified(page):
        return Response(status=304, headers=headers)
    return Response(page.body, content_type=page.content_type, headers=headers)


def init_app(app: Flask) -> None:
    """Give the app its page cache under ``<instance>/cache`` (idempotent)."""
    if EXTENSION_KEY not in app.extensions:
        root = app.extensions["comms"].settings.instance_path / "cache"
        app.extensions[EXTENSION_KEY] = PageCache(root)


__all__ = [
    "CachedPage",
    "PageCache",
    "Rendered",
    "cached_response",
    "etag_of",
    "init_app",
    "page_cache",
    "request_key",
]
