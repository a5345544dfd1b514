"""The feeds matching the page shown: <link rel="alternate"> and subscribe links."""

from __future__ import annotations

from dataclasses import dataclass

from flask import request

from comms.catalogue.models import KINDS, PLURAL_KINDS
from comms.context import comms_state, interface_language
from comms.errors import CommsError
from comms.feeds import build
from comms.feeds.service import FeedScope, feed_title, feed_url
from comms.i18n import translated


@dataclass(frozen=True)
class FeedLink:
    """One feed a page links to."""

    href: str
    media_type: str
    title: str
    fmt: str


def page_scopes() -> list[FeedScope]:
    """The scopes matching the current page, most specific first, the site last."""
    args = request.args
    view_args = request.view_args or {}
    scopes: list[FeedScope] = []
    kind = PLURAL_KINDS.get(str(view_args.get("plural", "")))
    if kind is None:
        candidate = args.get("kind", "")
        kind = PLURAL_KINDS.get(candidate) or (
            candidate if candidate in KINDS else None
        )
    # a topic's or region's own page (/topics/<topic>/, /regions/<region>/)
    tag = view_args.get("topic") or args.get("tag") or None
    region = view_args.get("region") or args.get("region") or None
    if tag:
        scopes.append(FeedScope(tag=tag))
    if region:
        scopes.append(FeedScope(region=region))
    if kind:
        scopes.append(FeedScope(kind=kind))
    scopes.append(FeedScope())
    return scopes


def feed_links() -> list[FeedLink]:
    """Every feed of the current page's scopes, RSS, Atom and JSON Feed each."""
    state = comms_state()
    site = state.site
    try:
        language = interface_language()
    except CommsError:
        language = site.default_language
    links: list[FeedLink] = []
    for scope in page_scopes():
        title = feed_title(site, scope, language, translated)
        for fmt in ("xml", "atom", "json"):
            links.append(
                FeedLink(
                    href=feed_url(
                        state.settings.site_url,
                        scope,
                        fmt,
                        language,
                        site.default_language,
                    ),
                    media_type=build.MEDIA_TYPES[fmt].split(";")[0],
                    title=f"{title} ({build.FORMAT_NAMES[fmt]})",
                    fmt=fmt,
                )
            )
    return links
