"""Feed and calendar URLs: RSS, Atom and JSON Feed per scope; iCalendar of events."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import force_locale
from werkzeug.wrappers import Response

from comms.cache import Rendered, cached_response, depends_on, request_key
from comms.catalogue.models import PLURAL_KINDS
from comms.catalogue.moved import moved_response
from comms.catalogue.service import parse_page
from comms.catalogue.stamp import kind_key, region_key, tag_key
from comms.context import comms_state, get_session, now, requested_language
from comms.errors import NotFound
from comms.feeds import build, service
from comms.feeds.service import FeedRequest, FeedScope
from comms.i18n import babel_locale, translated

bp = Blueprint("feeds", __name__)
FMT = "<any(xml, atom, json):fmt>"
PLURALS = "<plural:plural>"  # comms.catalogue.views.PluralConverter
FEED_MAX_AGE = 60
CALENDAR_TYPE = "text/calendar; charset=utf-8"
# Browsers show application/rss+xml and atom+xml as plain text (Chromium) or offer
# a download, ignoring the stylesheet: a browser asking for a page gets the same
# document as XML, which it renders through /feed.xsl.
BROWSER_TYPE = "application/xml; charset=utf-8"
XSLT_TYPE = "application/xslt+xml; charset=utf-8"
STYLESHEET_MAX_AGE = 3600


def _feed(scope: FeedScope, fmt: str) -> Response:
    state = comms_state()
    language = requested_language() or state.site.default_language
    wanted = FeedRequest(
        scope=scope,
        fmt=fmt,
        language=language,
        page=parse_page(request.args.get("page")),
    )

    def render() -> Rendered:
        # The site's feed lists every kind: it names no key.
        if scope.tag:
            depends_on(tag_key(scope.tag))
        elif scope.region:
            depends_on(region_key(scope.region))
        elif scope.kind:
            depends_on(kind_key(scope.kind))
        with force_locale(babel_locale(language)):  # the title in the feed's language
            body = service.render_feed(
                get_session(),
                wanted,
                settings=state.settings,
                site=state.site,
                now=now(),
                stylesheet=url_for("feeds.stylesheet"),
                translate=translated,
            )
        return Rendered(body, build.MEDIA_TYPES[fmt])

    key = request_key([("lang", language), ("page", str(wanted.page))])
    if fmt == "json":
        return cached_response(key, render, max_age=FEED_MAX_AGE)
    response = cached_response(key, render, max_age=FEED_MAX_AGE, vary="Accept")
    if response.status_code == 200 and wants_page(build.MEDIA_TYPES[fmt]):
        response.content_type = BROWSER_TYPE
    return response


@bp.get("/feed.xsl")
def stylesheet() -> Response:
    """The XSLT stylesheet that shows a feed as a page, with the site's EU header.

    One document for every feed: it holds the acknowledgement in each site
    language and picks the one of the feed's language in the browser.
    """
    site = comms_state().site

    def media(path: str | None) -> str | None:
        if not path:
            return None
        return url_for("web.site_media", filename=path.removeprefix("media/"))

    def render() -> Rendered:
        acknowledgements = []
        for language in site.languages:
            with force_locale(babel_locale(language)):
                acknowledgements.append(
                    {
                        "language": language,
                        "text": translated(site.funding_text),
                        "emblem_alt": translated(site.emblem_alt),
                    }
                )
        fallback = next(
            (a for a in acknowledgements if a["language"] == site.default_language),
            acknowledgements[0],
        )
        body = render_template(
            "feeds/feed.xsl",
            acknowledgements=acknowledgements,
            fallback=fallback,
            emblem=media(site.emblem),
            logo=media(site.programme_logo),
            logo_alt=site.programme_name,
        )
        return Rendered(body.encode(), XSLT_TYPE)

    return cached_response(request_key([]), render, max_age=STYLESHEET_MAX_AGE)


def wants_page(feed_type: str) -> bool:
    """Whether the request prefers a web page (text/html) to the feed's own type."""
    own = feed_type.split(";")[0]
    return request.accept_mimetypes.best_match([own, "text/html"]) == "text/html"


@bp.get(f"/feed.{FMT}")
def site_feed(fmt: str) -> Response:
    """Everything the site publishes, newest first."""
    return _feed(FeedScope(), fmt)


@bp.get(f"/{PLURALS}/feed.{FMT}")
def kind_feed(plural: str, fmt: str) -> Response:
    """The feed of one kind (press releases, reports, videos, events...)."""
    return _feed(FeedScope(kind=PLURAL_KINDS[plural]), fmt)


@bp.get(f"/tags/<tag>/feed.{FMT}")
def tag_feed(tag: str, fmt: str) -> Response:
    """The feed of one topic."""
    return _feed(FeedScope(tag=tag), fmt)


@bp.get(f"/regions/<region>/feed.{FMT}")
def region_feed(region: str, fmt: str) -> Response:
    """The feed of one partner region."""
    return _feed(FeedScope(region=region), fmt)


@bp.get("/events/calendar.ics")
def calendar() -> Response:
    """Every public event as one iCalendar."""
    state = comms_state()
    language = requested_language() or state.site.default_language

    def render() -> Rendered:
        body = service.render_calendar(
            get_session(),
            language=language,
            settings=state.settings,
            site=state.site,
            now=now(),
        )
        return Rendered(body, CALENDAR_TYPE)

    return cached_response(request_key([("lang", language)]), render)


@bp.get("/events/<slug>/event.ics")
def event_calendar(slug: str) -> Response:
    """One event as an iCalendar file to add to a calendar."""
    state = comms_state()
    language = requested_language()

    def render() -> Rendered:
        body = service.render_event(
            get_session(),
            slug,
            language=language,
            settings=state.settings,
            site=state.site,
            now=now(),
        )
        return Rendered(body, CALENDAR_TYPE)

    try:
        return cached_response(request_key([("lang", language or "")]), render)
    except NotFound:
        moved = moved_response("event", slug, "feeds.event_calendar")
        if moved is None:
            raise
        return moved
