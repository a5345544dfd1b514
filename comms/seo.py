"""Findability: schema.org JSON-LD, canonical URLs and citation meta tags.

The builders take plain values and return dicts (pure); ``init_app`` exposes them to
templates, filling in the request's URLs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request, url_for
from markupsafe import Markup
from werkzeug.routing import Map, UnicodeConverter

from comms import citations, kinds
from comms.catalogue import images
from comms.catalogue.models import KIND_PLURALS, Item, Newsletter
from comms.catalogue.service import SitemapEntry
from comms.links import shown_url
from comms.site import Site
from comms.text import duration_seconds

SCHEMA = "https://schema.org"
LICENCES = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
}
# Open Graph locales are language_TERRITORY; other languages pass through as they are.
OG_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "it": "it_IT", "sl": "sl_SI"}


def ld_json(data: dict[str, Any]) -> Markup:
    """A `<script type="application/ld+json">` element; `</` cannot end it early."""
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("</", "<\\/").replace("<!--", "\\u003c!--")
    return Markup(  # noqa: S704 - the payload is JSON with `<` neutralised
        f'<script type="application/ld+json">{payload}</script>'
    )


def organization_ld(site: Site, site_url: str) -> dict[str, Any]:
    """The project as a schema.org Organization."""
    data: dict[str, Any] = {
        "@context": SCHEMA,
        "@type": "Organization",
        "name": site.name,
        "url": site_url + "/",
    }
    if site.description:
        data["description"] = site.description
    if site.contact:
        data["email"] = site.contact
    if site.funder:
        data["funder"] = {"@type": "Organization", "name": site.funder}
    return data


def _publisher(site: Site, site_url: str) -> dict[str, Any]:
    return {"@type": "Organization", "name": site.name, "url": site_url + "/"}


def _thumbnail(item: Item, site_url: str) -> str | None:
    """A video's thumbnail as the site serves it, else the item's image."""
    picture = images.kind_thumbnail(item) or images.item_image(item)
    return images.absolute(site_url, picture.src) if picture else None


def share_image(item: Item, site_url: str) -> images.Picture | None:
    """The image of an item's Open Graph / Twitter card, with an absolute URL."""
    picture = images.item_picture(item)
    if picture is None:
        return None
    alt = picture.alt or item.display_title
    return replace(picture, src=images.absolute(site_url, picture.src), alt=alt)


def item_ld(
    item: Item,
    site: Site,
    *,
    url: str,
    site_url: str,
    file_urls: list[str] | None = None,
) -> dict[str, Any]:
    """An item as NewsArticle, Report, VideoObject or Event."""
    published = item.published_at.isoformat() if item.published_at else None
    base: dict[str, Any] = {
        "@context": SCHEMA,
        "url": url,
        "name": item.display_title,
        "inLanguage": item.language,
        "publisher": _publisher(site, site_url),
    }
    if item.display_summary:
        base["description"] = item.display_summary
    own = images.item_image(item)
    if own:
        base["image"] = images.absolute(site_url, own.src)
    if item.tag_names:
        base["keywords"] = ", ".join(item.tag_names)
    schema_type = kinds.get(item.kind).schema_type
    if schema_type == "Report":
        return _report_ld(item, site, base, published, file_urls or [])
    if schema_type == "VideoObject":
        return _video_ld(item, site_url, base, published)
    if schema_type == "Event":
        return _event_ld(item, site, site_url, base)
    return {
        **base,
        "@type": schema_type,
        "headline": item.display_title[:110],
        "datePublished": published,
        "dateModified": item.modified.isoformat(),
        "author": {"@type": "Organization", "name": item.author or site.name},
        "mainEntityOfPage": url,
    }


def _report_ld(
    item: Item,
    site: Site,
    base: dict[str, Any],
    published: str | None,
    file_urls: list[str],
) -> dict[str, Any]:
    data = {
        **base,
        "@type": "Report",
        "headline": item.display_title[:110],
        "datePublished": published,
        "author": [
            {"@type": "Organization", "name": name}
            for name in citations.authors_of(item, site)
        ],
    }
    if item.deliverable:
        data["reportNumber"] = item.deliverable
    if item.report_type:
        data["genre"] = item.report_type
    if item.licence:
        data["license"] = LICENCES.get(item.licence, item.licence)
    if item.doi:
        data["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": "DOI",
            "value": item.doi,
        }
        data["sameAs"] = f"https://doi.org/{item.doi}"
    if site.funder or site.grant:
        funder = {"@type": "Organization", "name": site.funder or site.funding_text}
        data["funder"] = funder
        if site.grant:
            data["funding"] = {
                "@type": "Grant",
                "identifier": site.grant,
                "funder": funder,
            }
    if file_urls:
        data["encoding"] = [
            {
                "@type": "MediaObject",
                "contentUrl": u,
                "encodingFormat": "application/pdf",
            }
            for u in file_urls
        ]
    return data


def _video_ld(
    item: Item, site_url: str, base: dict[str, Any], published: str | None
) -> dict[str, Any]:
    data = {
        **base,
        "@type": "VideoObject",
        "uploadDate": published,
        "description": item.display_summary or item.display_title,
        "embedUrl": f"https://www.youtube-nocookie.com/embed/{item.youtube_id}",
    }
    thumbnail = _thumbnail(item, site_url)
    if thumbnail:
        data["thumbnailUrl"] = thumbnail
    if duration_seconds(item.duration) is not None:
        data["duration"] = item.duration
    if item.view_count is not None:
        data["interactionStatistic"] = {
            "@type": "InteractionCounter",
            "interactionType": {"@type": "WatchAction"},
            "userInteractionCount": item.view_count,
        }
    return data


def _event_ld(
    item: Item, site: Site, site_url: str, base: dict[str, Any]
) -> dict[str, Any]:
    details = item.details or {}
    online = shown_url(details.get("online_url"))
    registration = shown_url(details.get("registration_url"))
    locations: list[dict[str, Any]] = []
    if item.location:
        locations.append(
            {"@type": "Place", "name": item.location, "address": item.location}
        )
    if online:
        locations.append({"@type": "VirtualLocation", "url": online})
    if item.location and online:
        mode = "MixedEventAttendanceMode"
    elif online:
        mode = "OnlineEventAttendanceMode"
    else:
        mode = "OfflineEventAttendanceMode"
    data = {
        **base,
        "@type": "Event",
        "startDate": item.starts_at.isoformat() if item.starts_at else None,
        "eventStatus": f"{SCHEMA}/EventScheduled",
        "eventAttendanceMode": f"{SCHEMA}/{mode}",
        "organizer": _publisher(site, site_url),
    }
    if item.ends_at:
        data["endDate"] = item.ends_at.isoformat()
    if locations:
        data["location"] = locations[0] if len(locations) == 1 else locations
    if registration:
        data["offers"] = {
            "@type": "Offer",
            "url": registration,
            "price": 0,
            "priceCurrency": "EUR",
        }
    return data


# --- templates --------------------------------------------------------------------


def _site_url() -> str:
    from comms.context import comms_state

    return comms_state().settings.site_url.rstrip("/")


def _site() -> Site:
    from comms.context import comms_state

    return comms_state().site


# --- language versions --------------------------------------------------------------
# One rule for every language signal (the head's hreflang links, the canonical URL
# and the sitemap's xhtml:link alternates): a page's version in a language is its
# absolute URL with ``?lang=`` (a slug may be shared by several languages, so the
# bare path is ambiguous), except in the default language, which has the bare path
# (what a visitor with no stated language gets, and what the static export holds);
# x-default names the default language's version.


@dataclass(frozen=True)
class Alternate:
    """One <link rel="alternate" hreflang> of a page (or xhtml:link of the sitemap)."""

    hreflang: str
    href: str


def version_url(path: str, language: str, page: int = 1) -> str:
    """The absolute URL of ``path`` in ``language`` (and its page number past 1)."""
    query = [("page", str(page))] if page > 1 else []
    if language != _site().default_language:
        query.append(("lang", language))
    return _site_url() + path + ("?" + urlencode(query) if query else "")


def alternates_of(
    versions: Iterable[tuple[str, str]], default_language: str
) -> list[Alternate]:
    """(language, URL) pairs as hreflang alternates, with x-default.

    x-default is the default language's version, else the first one.
    """
    found = [Alternate(language, url) for language, url in versions]
    if not found:
        return []
    fallback = next((a for a in found if a.hreflang == default_language), found[0])
    return [*found, Alternate("x-default", fallback.href)]


def _page_number() -> int:
    page = request.args.get("page", "")
    # isdigit() alone takes "²", which int() refuses
    return int(page) if page.isascii() and page.isdigit() and int(page) > 1 else 1


def _shown_language() -> str:
    from comms.context import interface_language
    from comms.errors import BadRequest

    try:
        return interface_language()
    except BadRequest:  # an unoffered ?lang= page still names a canonical URL
        return _site().default_language


def canonical_url() -> str:
    """The absolute URL of the current page in its language (only `page` is kept)."""
    return version_url(request.path, _shown_language(), _page_number())


def path_alternates(path: str, page: int = 1) -> list[Alternate]:
    """A page (not an item) in every language of the site, with x-default."""
    site = _site()
    return alternates_of(
        ((code, version_url(path, code, page)) for code in site.languages),
        site.default_language,
    )


def page_alternates() -> list[Alternate]:
    """The current page in every language of the site (its filters left out)."""
    return path_alternates(request.path, _page_number())


# The paths of item pages, per script root and kind: "/press-releases/\0/".
ITEM_PATHS = "comms.item_paths"
ITEM_PATHS_LIMIT = 1_000
# What a slug's place in a path is built with, then replaced: url_for quotes it.
_SLOT, _QUOTED_SLOT = "\0", "%00"
_quote_segment = UnicodeConverter(Map()).to_url


def item_path(plural: str, slug: str) -> str:
    """``url_for("catalogue.item", plural=plural, slug=slug)``: the kind's path is
    built once per script root with a placeholder, and the slug, quoted as the URL
    map quotes a path segment, takes its place (a page links to a dozen items)."""
    if not has_request_context():
        return url_for("catalogue.item", plural=plural, slug=slug)
    paths: dict[tuple[str, str], str] = current_app.extensions[ITEM_PATHS]
    key = (request.script_root, plural)
    pattern = paths.get(key)
    if pattern is None:
        pattern = url_for("catalogue.item", plural=plural, slug=_SLOT)
        if len(paths) < ITEM_PATHS_LIMIT:  # script roots come from the request
            paths[key] = pattern
    # The slug's place is the last: a script root is not quoted, and may hold %00.
    head, _slot, tail = pattern.rpartition(_QUOTED_SLOT)
    return head + _quote_segment(slug) + tail


def item_version_url(item: Item) -> str:
    """The absolute URL of one language version of an item."""
    return version_url(item_path(item.plural, item.slug), item.language)


@dataclass(frozen=True)
class SitemapUrl:
    """One item URL of the sitemap: its address, its last change (W3C datetime)
    and its hreflang alternates (one list shared by a translation group's
    versions)."""

    loc: str
    lastmod: str
    alternates: list[Alternate]


def sitemap_urls(entries: Iterable[SitemapEntry]) -> Iterator[SitemapUrl]:
    """The sitemap's item URLs: the same addresses and alternates as each item
    page's canonical and hreflang links (``item_version_url``,
    ``item_alternates``), with one ``url_for`` per kind (``item_path``), and each
    translation group's alternates once."""
    default = _site().default_language

    def url(kind: str, slug: str, language: str) -> str:
        return version_url(item_path(KIND_PLURALS[kind], slug), language)

    groups: dict[int, list[Alternate]] = {}
    for entry in entries:
        alternates = groups.get(id(entry.versions))
        if alternates is None:
            alternates = groups[id(entry.versions)] = alternates_of(
                ((lang, url(entry.kind, slug, lang)) for lang, slug in entry.versions),
                default,
            )
        yield SitemapUrl(
            url(entry.kind, entry.slug, entry.language),
            entry.modified.strftime("%Y-%m-%dT%H:%M:%SZ"),
            alternates,
        )


def item_alternates(versions: Sequence[Item]) -> list[Alternate]:
    """The language versions of an item, with x-default."""
    return alternates_of(
        ((v.language, item_version_url(v)) for v in versions),
        _site().default_language,
    )


def issue_version_url(letter: Newsletter) -> str:
    """The absolute URL of one language version of a newsletter issue."""
    return version_url(url_for("newsletter.issue", slug=letter.slug), letter.language)


def issue_alternates(versions: Sequence[Newsletter]) -> list[Alternate]:
    """The language versions of a newsletter issue, with x-default."""
    return alternates_of(
        ((v.language, issue_version_url(v)) for v in versions),
        _site().default_language,
    )


def item_absolute_url(item: Item) -> str:
    """An item's absolute URL."""
    return _site_url() + item_path(item.plural, item.slug)


def _file_urls(item: Item) -> list[str]:
    return [
        _site_url() + url_for("catalogue.download", slug=item.slug, filename=f.filename)
        for f in item.files
    ]


def report_citation(item: Item) -> citations.Citation:
    """The citation data of a report, with absolute URLs."""
    files = _file_urls(item)
    return citations.build_citation(
        item,
        _site(),
        url=item_absolute_url(item),
        pdf_url=files[0] if files else None,
    )


def item_ld_for(item: Item) -> dict[str, Any]:
    """The JSON-LD of an item on its page."""
    return item_ld(
        item,
        _site(),
        url=item_absolute_url(item),
        site_url=_site_url(),
        file_urls=_file_urls(item) if kinds.get(item.kind).has_files else None,
    )


def item_share_image(item: Item) -> images.Picture | None:
    """The og:image / twitter:image of an item's page (absolute URL and alt)."""
    return share_image(item, _site_url())


def citation_meta(item: Item) -> Markup:
    """Highwire `citation_*` meta tags of a report (nothing for other kinds)."""
    if item.kind != "report" or item.published_at is None:
        return Markup("")
    return citations.meta_html(citations.highwire_tags(report_citation(item)))


def og_locale(language: str) -> str:
    """The Open Graph locale (``de_DE``) of a language code (``de``)."""
    return OG_LOCALES.get(language, language)


def init_app(app: Flask) -> None:
    """Expose the JSON-LD, canonical URL and citation helpers to templates."""
    app.extensions[ITEM_PATHS] = {}
    app.add_template_global(ld_json)
    app.add_template_filter(og_locale)
    app.add_template_global(canonical_url)
    app.add_template_global(page_alternates)
    app.add_template_global(item_version_url)
    app.add_template_global(item_alternates)
    app.add_template_global(issue_version_url)
    app.add_template_global(issue_alternates)
    app.add_template_global(item_ld_for, "item_ld")
    app.add_template_global(citation_meta)
    app.add_template_global(item_absolute_url)
    app.add_template_global(item_share_image, "share_image")
    app.add_template_global(
        lambda: organization_ld(_site(), _site_url()), "organization_ld"
    )
