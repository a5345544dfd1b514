"""Pure core of the feeds: catalogue items -> RSS 2.0, Atom 1.0 and JSON Feed 1.1.

Nothing here touches the database or Flask: ``entry_from_item`` reads an item's
attributes, and the ``build_*`` functions turn frozen dataclasses into bytes.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from feedgen.feed import FeedGenerator
from lxml import etree

from comms import kinds
from comms.catalogue.images import item_image, kind_thumbnail
from comms.catalogue.models import KIND_PLURALS, Item
from comms.rendering import absolutise_links, clean_text, sanitise_html
from comms.text import duration_seconds

ATOM_NS = "http://www.w3.org/2005/Atom"
MEDIA_NS = "http://search.yahoo.com/mrss/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Enclosure:
    """A file attached to an entry (a report's PDF)."""

    url: str
    length: int
    media_type: str
    title: str = ""


@dataclass(frozen=True)
class Media:
    """Media RSS data of an entry: the object, its thumbnail, its duration."""

    url: str
    medium: str
    media_type: str | None = None
    duration: int | None = None
    thumbnail: str | None = None
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


@dataclass(frozen=True)
class Category:
    """A tag or region of an entry."""

    term: str
    label: str
    scheme: str


@dataclass(frozen=True)
class FeedEntry:
    """One entry as every feed format needs it; all text already XML-safe."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime
    author: str
    summary: str
    content_html: str
    language: str
    categories: tuple[Category, ...] = ()
    image: str | None = None
    enclosures: tuple[Enclosure, ...] = ()
    media: Media | None = None


@dataclass(frozen=True)
class FeedMeta:
    """The feed level: identity, links (self, alternate, paging, hub), language."""

    id: str
    title: str
    description: str
    language: str
    self_url: str
    alternate_url: str
    first_url: str
    updated: datetime
    author: str
    next_url: str | None = None
    previous_url: str | None = None
    icon: str | None = None
    hub: str | None = None
    # an XSLT stylesheet (same origin) that shows the feed as a page in a browser
    stylesheet: str | None = None


def site_host(site_url: str) -> str:
    """The host name of the site, the authority of every tag: URI."""
    return urlsplit(site_url).hostname or "localhost"


def entry_id(item: Item, site_url: str) -> str:
    """The permanent id of an item: ``tag:<host>,<date>:<kind>/<translation>/<lang>``.

    It is built from what survives title edits, slug edits and re-imports: the
    translation group (which defaults to the first slug and is kept in the content
    file when the slug changes), the kind and the language. The date part, which
    RFC 4151 requires, is the day of first publication, so the id changes only if
    an officer moves ``published_at`` to another day.
    """
    published = item.published_at or item.created_at
    day = published.astimezone(UTC).date().isoformat()
    specific = quote(f"{item.kind}/{item.translation}/{item.language}", safe="/-._~")
    return f"tag:{site_host(site_url)},{day}:{specific}"


def item_link(item: Item, site_url: str, default_language: str) -> str:
    """The absolute URL of an item's page (with ``?lang=`` for other languages)."""
    url = f"{site_url}/{KIND_PLURALS[item.kind]}/{quote(item.slug)}/"
    if item.language != default_language:
        url += f"?lang={quote(item.language)}"
    return url


def _whole_seconds(value: str | None) -> int | None:
    """A stored ISO 8601 duration in whole seconds (Media RSS wants an integer)."""
    seconds = duration_seconds(value)
    return None if seconds is None else int(seconds)


def _when(value: datetime) -> str:
    return f"{value.day} {value.strftime('%B %Y, %H:%M')} UTC"


def event_dates(item: Item) -> str:
    """The dates (and place) of an event as one plain-text line."""
    parts: list[str] = []
    if item.starts_at:
        parts.append(f"Starts {_when(item.starts_at)}")
    if item.ends_at:
        parts.append(f"ends {_when(item.ends_at)}")
    if item.location:
        parts.append(item.location)
    return "; ".join(parts) + "." if parts else ""


def safe_url(base: str, value: str | None) -> str | None:
    """``value`` made absolute against ``base``; None unless it is http(s)."""
    if not value:
        return None
    url = urljoin(base + "/", clean_text(value).strip())
    return url if url.startswith(("http://", "https://")) else None


def entry_from_item(item: Item, *, site_url: str, default_language: str) -> FeedEntry:
    """Turn one public item into a feed entry: clean text, absolute sanitised HTML."""
    link = item_link(item, site_url, default_language)
    summary = clean_text(item.display_summary or "").strip()
    kind = kinds.get(item.kind)
    if kind.has_dates:
        dates = event_dates(item)
        summary = f"{clean_text(dates)} {summary}".strip()
    content = absolutise_links(sanitise_html(item.body_html or ""), link)
    published = (item.published_at or item.created_at).replace(microsecond=0)
    updated = max(published, item.modified.replace(microsecond=0))
    categories = tuple(
        Category(term=clean_text(t), label=clean_text(t), scheme=f"{site_url}/tags/")
        for t in item.tag_names
    ) + tuple(
        Category(term=clean_text(r), label=clean_text(r), scheme=f"{site_url}/regions/")
        for r in item.region_names
    )
    own = item_image(item)
    image = safe_url(site_url, own.src) if own else None
    media: Media | None = None
    if image:
        media = Media(url=image, medium="image", media_type=_image_type(image))
    enclosures: tuple[Enclosure, ...] = ()
    if kind.has_files:
        base = f"{site_url}/reports/{quote(item.slug)}/files/"
        enclosures = tuple(
            Enclosure(
                url=base + quote(f.filename),
                length=int(f.size),
                media_type=f.media_type,
                title=clean_text(f.filename),
            )
            for f in item.files
        )
    thumb = kind_thumbnail(item)
    if thumb is not None and item.youtube_id:
        # The site's own copy of the thumbnail: a reader never fetches from Google.
        thumb_url = safe_url(site_url, thumb.src)
        media = Media(
            url=f"https://www.youtube-nocookie.com/embed/{quote(item.youtube_id)}",
            medium="video",
            media_type="text/html",
            duration=_whole_seconds(item.duration),
            thumbnail=thumb_url,
            thumbnail_width=thumb.width,
            thumbnail_height=thumb.height,
        )
        image = image or thumb_url
    return FeedEntry(
        id=entry_id(item, site_url),
        title=clean_text(item.display_title),
        link=link,
        published=published,
        updated=updated,
        author=clean_text(item.author or ""),
        summary=summary,
        content_html=content,
        language=item.language,
        categories=categories,
        image=image,
        enclosures=enclosures,
        media=media,
    )


def _image_type(url: str) -> str | None:
    """The media type of an image URL by its extension (uploads are named so)."""
    suffix = urlsplit(url).path.rsplit(".", 1)[-1].lower()
    return _IMAGE_TYPES.get(suffix)


def feed_updated(entries: Sequence[FeedEntry]) -> datetime:
    """The feed's updated time: its newest entry's (equal content, equal bytes)."""
    return max((e.updated for e in entries), default=EPOCH)


def _generator(meta: FeedMeta, entries: Sequence[FeedEntry], atom: bool) -> Any:
    fg = FeedGenerator()
    fg.load_extension("media", atom=True, rss=True)
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(meta.id)
    fg.title(meta.title)
    fg.description(meta.description or meta.title)
    fg.language(meta.language)
    fg.updated(meta.updated)
    fg.generator("comms")
    fg.author({"name": meta.author})
    if meta.icon:
        fg.icon(meta.icon)
        if atom or meta.icon.lower().endswith((".png", ".jpg", ".jpeg", ".gif")):
            fg.logo(meta.icon)
    own_type = _SELF_TYPE[atom]
    links = [{"href": meta.self_url, "rel": "self", "type": own_type}]
    if atom:
        links.append({"href": meta.first_url, "rel": "first", "type": own_type})
        if meta.previous_url:
            links.append(
                {"href": meta.previous_url, "rel": "previous", "type": own_type}
            )
        if meta.next_url:
            links.append({"href": meta.next_url, "rel": "next", "type": own_type})
        if meta.hub:
            links.append({"href": meta.hub, "rel": "hub"})
    # RSS takes the last link as its <link>: the HTML page.
    links.append({"href": meta.alternate_url, "rel": "alternate", "type": "text/html"})
    fg.link(links)
    for entry in entries:
        fe = fg.add_entry(order="append")
        fe.id(entry.id)
        fe.title(entry.title or entry.link)
        fe.published(entry.published)
        fe.updated(entry.updated)
        if entry.author:
            if atom:
                fe.author({"name": entry.author})
            else:
                fe.dc.dc_creator(entry.author)
        for category in entry.categories:
            fe.category(
                term=category.term, label=category.label, scheme=category.scheme
            )
        summary = entry.summary or entry.title
        # RSS readers render <description> as HTML: escape the plain-text summary.
        fe.summary(summary if atom else html.escape(summary, quote=False))
        if atom:
            fe.content(entry.content_html, type="html")
        else:
            fe.content(entry.content_html)
        if not atom:
            # Atom entry links are added by build_atom: feedgen 1.0 drops their
            # rel, type and length. RSS carries one enclosure: the first file.
            fe.link(href=entry.link, rel="alternate")
            if entry.enclosures:
                first = entry.enclosures[0]
                fe.enclosure(first.url, str(first.length), first.media_type)
        if entry.media:
            _add_media(fe, entry.media)
    return fg


_SELF_TYPE = {True: "application/atom+xml", False: "application/rss+xml"}


def _add_media(fe: Any, media: Media) -> None:
    content: dict[str, str] = {"url": media.url, "medium": media.medium}
    if media.media_type:
        content["type"] = media.media_type
    if media.duration is not None:
        content["duration"] = str(media.duration)
    fe.media.content(content)
    if media.thumbnail:
        thumbnail = {"url": media.thumbnail}
        if media.thumbnail_width and media.thumbnail_height:
            thumbnail["width"] = str(media.thumbnail_width)
            thumbnail["height"] = str(media.thumbnail_height)
        fe.media.thumbnail(thumbnail)


def _ungroup_media(root: Any) -> None:
    """Lift each entry's lone media:content (and its thumbnail) out of media:group.

    feedgen always wraps Media RSS in a group, but a group is for alternatives of
    one object; around a single media:content it is an error
    (MediaGroupWithoutAlternatives in the W3C feed validator).
    """
    for group in list(root.iter(f"{{{MEDIA_NS}}}group")):
        if len(group.findall(f"{{{MEDIA_NS}}}content")) > 1:
            continue
        for child in reversed(list(group)):
            group.addnext(child)
        group.getparent().remove(group)


def build_rss(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """An RSS 2.0 document with content:encoded, Media RSS and RFC 5005 paging."""
    raw = _generator(meta, entries, atom=False).rss_str(pretty=False)
    root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False))
    channel = root.find("channel")
    self_link = channel.find(f"{{{ATOM_NS}}}link")
    extra: list[tuple[str, str | None]] = [
        ("first", meta.first_url),
        ("previous", meta.previous_url),
        ("next", meta.next_url),
        ("hub", meta.hub),
    ]
    for rel, href in reversed(extra):
        if href:
            link = etree.Element(f"{{{ATOM_NS}}}link", rel=rel, href=href)
            if rel != "hub":
                link.set("type", _SELF_TYPE[False])
            self_link.addnext(link)
    _ungroup_media(root)
    return _serialise(root, meta)


def build_atom(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """An Atom 1.0 document with enclosures, Media RSS and RFC 5005 paging."""
    raw = _generator(meta, entries, atom=True).atom_str(pretty=False)
    root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False))
    for element, entry in zip(
        root.iterfind(f"{{{ATOM_NS}}}entry"), entries, strict=True
    ):
        title = element.find(f"{{{ATOM_NS}}}title")
        links = [
            {"rel": "alternate", "type": "text/html", "href": entry.link},
            *(
                {
                    "rel": "enclosure",
                    "type": e.media_type,
                    "href": e.url,
                    "length": str(e.length),
                    "title": e.title,
                }
                for e in entry.enclosures
            ),
        ]
        for attributes in reversed(links):
            link = etree.Element(f"{{{ATOM_NS}}}link")
            for name, value in attributes.items():
                if value:
                    link.set(name, value)
            title.addnext(link)
    _ungroup_media(root)
    return _serialise(root, meta)


def _serialise(root: Any, meta: FeedMeta) -> bytes:
    """The document's bytes, led by its xml-stylesheet instruction if it has one."""
    if meta.stylesheet:
        href = html.escape(meta.stylesheet, quote=True)
        root.addprevious(
            etree.ProcessingInstruction(
                "xml-stylesheet", f'type="text/xsl" href="{href}"'
            )
        )
    body: bytes = etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="UTF-8"
    )
    return body


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_json(meta: FeedMeta, entries: Sequence[FeedEntry]) -> bytes:
    """A JSON Feed 1.1 document (``next_url`` for older pages, ``hubs`` for WebSub)."""
    doc: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": meta.title,
        "home_page_url": meta.alternate_url,
        "feed_url": meta.self_url,
        "description": meta.description,
        "language": meta.language,
        "authors": [{"name": meta.author}],
    }
    if meta.icon:
        doc["favicon"] = meta.icon
    if meta.next_url:
        doc["next_url"] = meta.next_url
    if meta.hub:
        doc["hubs"] = [{"type": "WebSub", "url": meta.hub}]
    doc["items"] = [_json_item(e) for e in entries]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_item(entry: FeedEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "url": entry.link,
        "title": entry.title,
        "summary": entry.summary,
        "content_html": entry.content_html,
        "date_published": _rfc3339(entry.published),
        "date_modified": _rfc3339(entry.updated),
        "language": entry.language,
    }
    if entry.author:
        item["authors"] = [{"name": entry.author}]
    if entry.categories:
        item["tags"] = [c.term for c in entry.categories]
    if entry.image:
        item["image"] = entry.image
    if entry.enclosures:
        item["attachments"] = [
            {
                "url": e.url,
                "mime_type": e.media_type,
                "size_in_bytes": e.length,
                "title": e.title,
            }
            for e in entry.enclosures
        ]
    return item


BUILDERS = {"xml": build_rss, "atom": build_atom, "json": build_json}
MEDIA_TYPES = {
    "xml": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
FORMAT_NAMES = {"xml": "RSS", "atom": "Atom", "json": "JSON Feed"}


def kind_label(kind: str) -> str:
    """A kind's plural human name, as in feed titles."""
    return kinds.get(kind).plural_label
