"""The crawl of `comms static export`: every public page, fetched in-process.

The exporter crawls the site in-process (no server needed) from `/`, the sitemap and
the feeds, following every same-site link in HTML, XML and JSON documents, and writes
each answer where a static host serves that URL (`/reports/` -> `reports/index.html`).
A manifest of content hashes (`.comms-export.sqlite`) lets a second export rewrite only
what changed and remove what was unpublished. URLs with a query string (filters,
`?page=2`, `?lang=`) need the live site and are not exported.
"""

from __future__ import annotations

import functools
import multiprocessing
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from comms.self_requests import STATIC_COPY, mark

SEEDS = ("/", "/sitemap.xml", "/robots.txt", "/feed.xml", "/feed.atom", "/feed.json")
_LINK = re.compile(rb"""(?:href|src)\s*=\s*["']([^"'#]+)""", re.I)
_XML_URL = re.compile(rb"<(?:loc|link|id|icon|logo|url)>\s*([^<\s]+)\s*<", re.I)
_XML_ATTR = re.compile(rb"""(?:href|url)=["']([^"']+)["']""", re.I)
_JSON_URL = re.compile(
    rb'"(?:url|home_page_url|feed_url|next_url|image|icon)"\s*:\s*"([^"]+)"'
)  # noqa: E501
# A page's links: the paths to fetch, and every path it links to (see _links).
Links = tuple[set[str], set[str]]
_TEXTUAL = ("text/html", "application/xml", "text/xml", "+xml", "json", "text/plain")


def output_path(url_path: str) -> PurePosixPath:
    """Where a static host looks for ``url_path`` (directories get index.html)."""
    path = unquote(url_path).lstrip("/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    pure = PurePosixPath(path)
    if any(part in ("..", "") for part in pure.parts):
        raise ValueError(f"unsafe path {url_path!r}")
    return pure


def _links(
    body: bytes, content_type: str, base: str, site_url: str
) -> tuple[set[str], set[str]]:
    """The same-site paths a document links to: those to fetch (no query
    string), and every one (with a query string too: `/x/?lang=de` shows `/x/`)."""
    if not any(kind in content_type for kind in _TEXTUAL):
        return set(), set()
    found = set(_LINK.findall(body))
    if "xml" in content_type:
        found |= set(_XML_URL.findall(body)) | set(_XML_ATTR.findall(body))
    if "json" in content_type:
        found |= set(_JSON_URL.findall(body))
    follow: set[str] = set()
    shown: set[str] = set()
    for raw in found:
        # an absolute path (most links) resolves alike on every page
        absolute = raw.startswith(b"/") and not raw.startswith(b"//")
        resolved = _resolve(raw, "/" if absolute else base, site_url)
        if resolved is not None:
            path, has_query = resolved
            shown.add(path)
            if not has_query:
                follow.add(path)
    return follow, shown


@functools.lru_cache(maxsize=65_536)
def _resolve(raw: bytes, base: str, site_url: str) -> tuple[str, bool] | None:
    """A link's same-site path and whether it has a query string (None: another
    site, the admin or the API). Kept: every page repeats its header's links."""
    url = raw.decode("utf-8", "replace").strip().replace("&amp;", "&")
    if url.startswith(site_url):
        url = url[len(site_url) :] or "/"
    parts = urlsplit(urljoin(base, url))
    if parts.scheme or parts.netloc:
        return None
    if parts.path.startswith("/admin") or parts.path.startswith("/api/"):
        return None
    return parts.path, bool(parts.query)


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


def iter_pages(
    app: Flask,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
    seeds: Iterable[str] = SEEDS,
    known: Callable[[str], bool] | None = None,
) -> Iterator[tuple[str, bytes | None, Links]]:
    """Fetch every URL reachable from ``seeds``; yield (path, bytes, paths it
    links to, with or without a query string) in turn.

    Breadth first, one level of links at a time, one page at a time in memory;
    ``workers`` > 1 renders in that many forked processes (same order of pages).
    A link for which ``known`` says True is not followed. A seed that does not
    answer 200 is yielded with None (a page that is gone); a link that does not is
    left out.
    """
    site_url = app.extensions["comms"].settings.site_url.rstrip("/")
    level = list(dict.fromkeys(seeds))
    asked = set(level)
    seen: set[str] = set(level)
    with _fetcher(app, workers) as fetch:
        while level:
            following: list[str] = []
            for path, status, content_type, body in fetch(level):
                if status != 200:
                    if path in asked:
                        yield path, None, (set(), set())
                    continue
                if progress is not None:
                    progress(path)
                links, shown = _links(body, content_type, path, site_url)
                for link in sorted(links):
                    if link not in seen and not (known and known(link)):
                        seen.add(link)
                        following.append(link)
                yield path, body, (links, shown)
            level = following


def iter_site(
    app: Flask, progress: Callable[[str], None] | None = None, workers: int = 1
) -> Iterator[tuple[str, bytes]]:
    """Fetch every public URL reachable from the seeds; yield (path, bytes) in turn."""
    for path, body, _links in iter_pages(app, progress, workers):
        if body is not None:
            yield path, body


def crawl(
    app: Flask, progress: Callable[[str], None] | None = None, workers: int = 1
) -> dict[str, bytes]:
    """Fetch every public URL reachable from the seeds; return path -> bytes."""
    return dict(iter_site(app, progress, workers))
