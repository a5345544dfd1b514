"""`comms static export OUT`: the public site as static files with the same URLs.

The exporter crawls the site in-process (no server needed) from `/`, the sitemap and
the feeds, following every same-site link in HTML, XML and JSON documents, and writes
each answer where a static host serves that URL (`/reports/` -> `reports/index.html`).
A manifest of content hashes (`.comms-export.json`) lets a second export rewrite only
what changed and remove what was unpublished. URLs with a query string (filters,
`?page=2`, `?lang=`) need the live site and are not exported.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from comms.self_requests import STATIC_COPY, mark

MANIFEST = ".comms-export.json"
SEEDS = ("/", "/sitemap.xml", "/robots.txt", "/feed.xml", "/feed.atom", "/feed.json")
_LINK = re.compile(rb"""(?:href|src)\s*=\s*["']([^"'#]+)""", re.I)
_XML_URL = re.compile(rb"<(?:loc|link|id|icon|logo|url)>\s*([^<\s]+)\s*<", re.I)
_XML_ATTR = re.compile(rb"""(?:href|url)=["']([^"']+)["']""", re.I)
_JSON_URL = re.compile(
    rb'"(?:url|home_page_url|feed_url|next_url|image|icon)"\s*:\s*"([^"]+)"'
)  # noqa: E501
_TEXTUAL = ("text/html", "application/xml", "text/xml", "+xml", "json", "text/plain")


@dataclass(frozen=True)
class ExportReport:
    """What an export did."""

    written: int
    unchanged: int
    removed: int
    skipped: int

    @property
    def total(self) -> int:
        """Files the export holds."""
        return self.written + self.unchanged


def output_path(url_path: str) -> PurePosixPath:
    """Where a static host looks for ``url_path`` (directories get index.html)."""
    path = unquote(url_path).lstrip("/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    pure = PurePosixPath(path)
    if any(part in ("..", "") for part in pure.parts):
        raise ValueError(f"unsafe path {url_path!r}")
    return pure


def _links(body: bytes, content_type: str, base: str, site_url: str) -> set[str]:
    if not any(kind in content_type for kind in _TEXTUAL):
        return set()
    found = set(_LINK.findall(body))
    if "xml" in content_type:
        found |= set(_XML_URL.findall(body)) | set(_XML_ATTR.findall(body))
    if "json" in content_type:
        found |= set(_JSON_URL.findall(body))
    result = set()
    for raw in found:
        url = raw.decode("utf-8", "replace").strip().replace("&amp;", "&")
        if url.startswith(site_url):
            url = url[len(site_url) :] or "/"
        parts = urlsplit(urljoin(base, url))
        if parts.scheme or parts.netloc or parts.query:
            continue
        if parts.path.startswith("/admin") or parts.path.startswith("/api/"):
            continue
        result.add(parts.path)
    return result


def _fetch(client: FlaskClient, path: str) -> tuple[str, int, str, bytes]:
    # No visit to count, no session, each page read once (not stored).
    with client.get(path, environ_base=mark(STATIC_COPY)) as response:
        return path, response.status_code, response.content_type or "", response.data


# The app a forked export worker serves from (set before the fork; see _fetcher).
_WORKER_APP: Flask | None = None
_WORKER_CLIENT: FlaskClient | None = None


def _init_worker() -> None:
    global _WORKER_CLIENT
    assert _WORKER_APP is not None
    # Connections inherited from the parent belong to it: open new ones here.
    _WORKER_APP.extensions["comms"].engine.dispose(close=False)
    _WORKER_CLIENT = _WORKER_APP.test_client()


def _fetch_in_worker(path: str) -> tuple[str, int, str, bytes]:
    assert _WORKER_CLIENT is not None
    return _fetch(_WORKER_CLIENT, path)


@contextmanager
def _fetcher(
    app: Flask, workers: int
) -> Iterator[Callable[[list[str]], Iterable[tuple[str, int, str, bytes]]]]:
    """A function fetching a list of paths, in order: here, or in forked workers."""
    if workers <= 1:
        client = app.test_client()
        yield lambda paths: (_fetch(client, path) for path in paths)
        return
    global _WORKER_APP
    _WORKER_APP = app
    app.extensions["comms"].engine.dispose()  # nothing open to share with children
    context = multiprocessing.get_context("fork")
    try:
        # An executor, not a Pool: a worker that dies fails the export instead of
        # leaving it waiting for an answer forever.
        pool = ProcessPoolExecutor(workers, context, _init_worker)
        try:
            yield lambda paths: pool.map(_fetch_in_worker, paths, chunksize=16)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # not the queued pages
            raise
        pool.shutdown(wait=True)
    finally:
        _WORKER_APP = None


def iter_site(
    app: Flask, progress: Callable[[str], None] | None = None, workers: int = 1
) -> Iterator[tuple[str, bytes]]:
    """Fetch every public URL reachable from the seeds; yield (path, bytes) in turn.

    Breadth first, one level of links at a time, one page at a time in memory;
    ``workers`` > 1 renders in that many forked processes (same order of pages).
    """
    site_url = app.extensions["comms"].settings.site_url.rstrip("/")
    seen: set[str] = set(SEEDS)
    level = list(SEEDS)
    with _fetcher(app, workers) as fetch:
        while level:
            following: list[str] = []
            for path, status, content_type, body in fetch(level):
                if status != 200:
                    continue
                if progress is not None:
                    progress(path)
                for link in sorted(_links(body, content_type, path, site_url)):
                    if link not in seen:
                        seen.add(link)
                        following.append(link)
                yield path, body
            level = following


def crawl(
    app: Flask, progress: Callable[[str], None] | None = None, workers: int = 1
) -> dict[str, bytes]:
    """Fetch every public URL reachable from the seeds; return path -> bytes."""
    return dict(iter_site(app, progress, workers))


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)


def export_site(
    app: Flask,
    out: Path,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> ExportReport:
    """Write the public site under ``out``; rewrite only what changed.

    ``workers`` > 1 renders the pages in that many forked processes.
    """
    out.mkdir(parents=True, exist_ok=True)
    manifest_file = out / MANIFEST
    try:
        previous: dict[str, str] = json.loads(manifest_file.read_text())
    except (OSError, ValueError):
        previous = {}
    current: dict[str, str] = {}
    written = unchanged = skipped = 0
    for url_path, body in iter_site(app, progress, workers):
        try:
            relative = output_path(url_path)
        except ValueError:
            skipped += 1
            continue
        key = str(relative)
        if key in current:  # `/x` and `/x/` collide on a static host
            skipped += 1
            continue
        digest = hashlib.sha256(body).hexdigest()
        current[key] = digest
        target = out / relative
        if previous.get(key) == digest and target.exists():
            unchanged += 1
            continue
        _write_atomic(target, body)
        written += 1
    removed = 0
    for key in set(previous) - set(current):
        target = out / key
        if target.is_file():
            target.unlink()
            removed += 1
    _write_atomic(manifest_file, json.dumps(current, indent=0, sort_keys=True).encode())
    return ExportReport(written, unchanged, removed, skipped)
