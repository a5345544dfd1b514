"""The picture shown for an item: its uploaded image, else a video's own thumbnail
(and on the site's pages, else a report's cover).

Every public output (cards, item pages, Open Graph, JSON-LD, feeds, newsletter mail,
the API, the static export) takes its image from here, so none of them points a
visitor at YouTube's image servers: a video's thumbnail is always the copy the
site serves itself at ``/videos/<slug>/thumbnail.jpg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from comms import links
from comms.catalogue.covers import find_cover
from comms.catalogue.models import Item
from comms.storage import MediaStore
from comms.videos.sync import best_thumbnail
from comms.videos.thumbnails import thumbnail_path


@dataclass(frozen=True)
class Picture:
    """An image of an item: its site path (or URL), alt text and known size."""

    src: str
    alt: str
    width: int | None = None
    height: int | None = None
    # a report's cover: a whole page, shown whole rather than cropped
    is_cover: bool = False


def item_image(item: Item) -> Picture | None:
    """The image an officer gave the item (``/media/images/...``), with its alt."""
    if not item.image or not item.image.strip():
        return None
    try:  # a site path, or an http(s) URL given in a content file; nothing else
        src = links.image_source(item.image)
    except ValueError:
        return None
    parts = urlsplit(src)
    if parts.hostname and _is_google_image_host(parts.hostname):
        return None
    alt = str((item.details or {}).get("image_alt") or "")
    return Picture(src=src, alt=alt)


def video_thumbnail(item: Item) -> Picture | None:
    """A video's thumbnail as the site serves it (never YouTube's URL)."""
    if item.kind != "video" or not item.youtube_id:
        return None
    width = height = None
    thumbs: Any = (item.details or {}).get("thumbnails")
    if isinstance(thumbs, dict):
        usable = {
            name: value
            for name, value in thumbs.items()
            if isinstance(value, dict) and value.get("url")
        }
        name = best_thumbnail(usable)
        if name is not None:
            width = _int(usable[name].get("width"))
            height = _int(usable[name].get("height"))
    return Picture(src=thumbnail_path(item.slug), alt="", width=width, height=height)


def item_picture(item: Item) -> Picture | None:
    """The item's own image if it has one, else a video's local thumbnail."""
    return item_image(item) or video_thumbnail(item)


def cover_picture(item: Item, store: MediaStore) -> Picture | None:
    """A report's cover (its first PDF's first page), as the site serves it."""
    if item.kind != "report" or not item.files:
        return None
    cover = find_cover(store, item.files[0].sha256)
    if cover is None:
        return None
    return Picture(
        src=f"/reports/{quote(item.slug)}/cover.jpg",
        alt="",
        width=cover.width,
        height=cover.height,
        is_cover=True,
    )


def shown_picture(item: Item, store: MediaStore) -> Picture | None:
    """What the site's pages show for an item: its picture, else a report's cover.

    None means the branded placeholder (the site's colour and the kind's icon).
    """
    return item_picture(item) or cover_picture(item, store)


def absolute(site_url: str, src: str) -> str:
    """``src`` as an absolute URL on the site (already absolute URLs pass)."""
    if src.startswith(("http://", "https://")):
        return src
    return f"{site_url.rstrip('/')}/{src.lstrip('/')}"


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _is_google_image_host(host: str) -> bool:
    host = host.lower()
    return host.endswith(("ytimg.com", "googleusercontent.com", "ggpht.com"))
