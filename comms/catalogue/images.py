"""The picture shown for an item: its uploaded image, else a video's own thumbnail
(and on the site's pages, else a report's cover).

Every public output (cards, item pages, Open Graph, JSON-LD, feeds, newsletter mail,
the API, the static export) takes its image from here, so none of them points a
visitor at YouTube's image servers: a video's thumbnail is always the copy the
site serves itself at ``/videos/<slug>/thumbnail.jpg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from comms import kinds, links
from comms.catalogue.covers import find_cover
from comms.catalogue.models import Item
from comms.storage import MediaStore


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


def kind_thumbnail(item: Item) -> Picture | None:
    """The picture the item's kind gives it (a video's thumbnail, as the site
    serves it: never YouTube's URL)."""
    kind = kinds.find(item.kind)
    found = kind.thumbnail(item) if kind and kind.thumbnail else None
    if found is None:
        return None
    src, width, height = found
    return Picture(src=src, alt="", width=width, height=height)


def item_picture(item: Item) -> Picture | None:
    """The item's own image if it has one, else its kind's (a video's thumbnail)."""
    return item_image(item) or kind_thumbnail(item)


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


def _is_google_image_host(host: str) -> bool:
    host = host.lower()
    return host.endswith(("ytimg.com", "googleusercontent.com", "ggpht.com"))
