"""Site-wide routes: health check, robots.txt and the site's own media."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Response, render_template, send_from_directory
from sqlalchemy import text

from comms.catalogue.service import sitemap_entries, sitemap_size
from comms.context import comms_state, get_session, now
from comms.errors import NotFound
from comms.newsletter.service import public_issues
from comms.seo import (
    Alternate,
    issue_alternates,
    issue_version_url,
    path_alternates,
    sitemap_urls,
)
from comms.sitemap import sitemap_paths

if TYPE_CHECKING:
    from comms.cache import Rendered

bp = Blueprint("web", __name__)
SITE_MEDIA_TYPES = {".svg", ".png", ".jpg", ".jpeg", ".webp", ".pdf", ".ico"}
IDENTITY_MAX_AGE = 86400  # the emblem and icons: the site's identity, bound to no item


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Liveness and database check for load balancers."""
    try:
        get_session().execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


@bp.get("/robots.txt")
def robots() -> Response:
    """Allow crawlers everywhere but the admin; name the sitemap."""
    site_url = comms_state().settings.site_url
    body = f"User-agent: *\nDisallow: /admin/\nSitemap: {site_url}/sitemap.xml\n"
    return Response(body, mimetype="text/plain")


@bp.get("/media/<path:filename>")
def site_media(filename: str) -> Response:
    """The site's identity files, or a content folder file a public page links now.

    Report files are served from the media store under their report's address;
    the content folder's copies are only the source of an import, never public.
    """
    from pathlib import PurePosixPath

    from comms.catalogue.media import MEDIA_MAX_AGE, linked_publicly

    if PurePosixPath(filename).suffix.lower() not in SITE_MEDIA_TYPES:
        raise NotFound("no such file")
    site = comms_state().site
    identity = {f.removeprefix("media/") for f in site.identity_files()}
    if filename in identity:
        max_age = IDENTITY_MAX_AGE
    elif linked_publicly(get_session(), f"/media/{filename}", now=now()):
        max_age = MEDIA_MAX_AGE
    else:
        raise NotFound("no such file")
    return send_from_directory(
        comms_state().settings.content_dir / "media", filename, max_age=max_age
    )


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The favicon named in site.yml (icons.favicon), where browsers look first."""
    name = comms_state().site.icons.get("favicon")
    if not name:
        raise NotFound("the site has no favicon")
    return send_from_directory(
        comms_state().settings.content_dir,
        name,
        max_age=IDENTITY_MAX_AGE,
        mimetype=_ICON_TYPES.get(name.rsplit(".", 1)[-1].lower()),
    )


_ICON_TYPES = {
    "ico": "image/vnd.microsoft.icon",
    "png": "image/png",
    "svg": "image/svg+xml",
}


@bp.get("/manifest.webmanifest")
def web_manifest() -> Response:
    """The web app manifest: the site's name and its app icons (site.yml)."""
    from flask import json, url_for

    state = comms_state()
    site = state.site
    icons = []
    for kind in ("touch", "app"):
        name = site.icons.get(kind)
        path = state.settings.content_dir / name if name else None
        if name and path is not None and path.is_file():
            icons.append(
                {
                    "src": url_for(
                        "web.site_media", filename=name.removeprefix("media/")
                    ),
                    "sizes": _png_size(path),
                    "type": "image/png",
                }
            )
    body = {
        "name": site.name,
        "short_name": site.name,
        "description": site.description,
        "start_url": "/",
        "display": "browser",
        "lang": site.default_language,
        "icons": icons,
    }
    response = Response(json.dumps(body), mimetype="application/manifest+json")
    response.cache_control.public = True
    response.cache_control.max_age = IDENTITY_MAX_AGE
    return response


def _png_size(path: Path) -> str:
    """``WxH`` of a PNG file, from its header."""
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
    return f"{width}x{height}"


# URLs in one sitemap file (the protocol allows 50,000; WordPress writes 2,000). A
# bigger site gets an index. A file of 2,000 is built in about 0.35 s when a crawler
# asks for it uncached (one of 50,000 took 2 s at 100,000 items), and a publish
# changes only the last one, which a static export then writes again.
SITEMAP_LIMIT = 2_000
_XML = "application/xml"


@dataclass(frozen=True)
class _PageUrl:
    """One language version of a page that is not an item (a listing, a statement,
    a newsletter issue), with its last change when it has one."""

    loc: str
    alternates: list[Alternate]
    lastmod: str = ""


def _fixed_urls() -> list[_PageUrl]:
    """The URLs that are not items: every page marked ``in_sitemap`` in each
    language, then each language version of every public newsletter issue."""
    pages: list[_PageUrl] = []
    for path in sitemap_paths():
        links = path_alternates(path)
        pages.extend(
            _PageUrl(a.href, links) for a in links if a.hreflang != "x-default"
        )
    for versions in public_issues(get_session(), now=now()):
        links = issue_alternates(versions)
        pages.extend(
            _PageUrl(
                issue_version_url(letter),
                links,
                letter.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            for letter in versions
            if letter.published_at is not None
        )
    return pages


class _Layout:
    """How the sitemap's URLs are split: up to ``SITEMAP_LIMIT`` in one file;
    beyond, the items, by id, in the first files and the pages that are not items
    in the next ones. A new item then lands in the last file of items, and no file
    of items ever shifts: neither when the items fill a new file nor when the
    other pages grow or shrink (a new topic's page), since those come after them
    (a static export writes a file of items again only when one of its items
    changed). The other pages are listed only when needed: a file of items is
    built without them (they need the topics and regions in use, and every
    newsletter issue)."""

    def __init__(self, items: int) -> None:
        self.items = items

    @functools.cached_property
    def fixed(self) -> list[_PageUrl]:
        return _fixed_urls()

    @property
    def single(self) -> bool:
        if self.items > SITEMAP_LIMIT:  # known without the other pages
            return False
        return len(self.fixed) + self.items <= SITEMAP_LIMIT

    @property
    def item_parts(self) -> int:
        return -(-self.items // SITEMAP_LIMIT)

    @property
    def parts(self) -> int:
        if self.single:
            return 1
        return self.item_parts + -(-len(self.fixed) // SITEMAP_LIMIT)


def _layout() -> _Layout:
    return _Layout(sitemap_size(get_session(), now=now()))


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every public page with its last change and language alternates, or an index.

    Up to ``SITEMAP_LIMIT`` URLs this is the sitemap itself; beyond, a sitemap
    index naming `/sitemap-1.xml`, `/sitemap-2.xml`, ... (each within the limit).
    """
    from comms.cache import Rendered, cached_response, request_key

    def build() -> Rendered:
        layout = _layout()
        if layout.single:
            return _sitemap_part(1, layout)
        body = render_template(
            "web/sitemap_index.xml", parts=range(1, layout.parts + 1)
        )
        return Rendered(body.encode(), _XML)

    return cached_response(request_key([]), build)


@bp.get("/sitemap-<int:part>.xml")
def sitemap_part(part: int) -> Response:
    """One file of a sitemap split by ``SITEMAP_LIMIT`` (404 past the last)."""
    from comms.cache import cached_response, request_key

    def build() -> Rendered:
        layout = _layout()
        items = not layout.single and part <= layout.item_parts
        if part < 1 or not (items or part <= layout.parts):
            raise NotFound(f"the sitemap has no part {part}")
        return _sitemap_part(part, layout)

    return cached_response(request_key([]), build)


def _sitemap_part(part: int, layout: _Layout) -> Rendered:
    from comms.cache import Rendered

    if layout.single:
        pages, start, count = layout.fixed, 0, layout.items
    elif part <= layout.item_parts:
        pages = []
        start, count = (part - 1) * SITEMAP_LIMIT, SITEMAP_LIMIT
    else:
        first = (part - layout.item_parts - 1) * SITEMAP_LIMIT
        pages = layout.fixed[first : first + SITEMAP_LIMIT]
        start = count = 0
    entries = (
        sitemap_entries(get_session(), now=now(), offset=start, limit=count)
        if count
        else []
    )
    body = render_template("web/sitemap.xml", urls=sitemap_urls(entries), pages=pages)
    return Rendered(body.encode(), _XML)
