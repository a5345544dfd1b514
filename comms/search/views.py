"""The search page: `/search?q=` with the listing filters."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext

from comms import ratelimit
from comms.cache import Rendered, cached_response, page_key
from comms.catalogue.service import ListingQuery, parse_kind, parse_page
from comms.context import comms_state, get_session, interface_language, now
from comms.errors_http import error_page
from comms.search import service

bp = Blueprint("search", __name__)
HTML = "text/html; charset=utf-8"
SEARCH_VARY = "Accept-Language, Cookie"
SEARCH_MAX_AGE = 60
# Searches with a query per client; a repeat answered from the cache before the app
# (comms.cache.AnswerReplay) is not counted: it costs no query.
PER_CLIENT = ratelimit.per(60, 60)
log = logging.getLogger(__name__)


def _over_limit() -> Response | None:
    """A 429 answer when this client searched too often, else None."""
    try:
        verdict = ratelimit.limiter(current_app).hit(
            PER_CLIENT, "search", ratelimit.request_client()
        )
    except ratelimit.LimitsUnavailable as exc:
        # Open rather than closed: search stays up when the shared counts are down.
        log.warning("search rate limit not applied: %s", exc)
        return None
    if verdict.allowed:
        return None
    return error_page(
        429,
        message=gettext(
            "There have been too many searches from your connection. Please try "
            "again in %(seconds)s s.",
            seconds=verdict.retry_after,
        ),
        headers=[("Retry-After", str(verdict.retry_after))],
    )


@bp.get("/search")
def search() -> Response:
    """Search results for ?q=, or the empty form (cached like every public page)."""
    state = comms_state()
    text = (request.args.get("q") or "").strip()[:200]
    refused = _over_limit() if text else None
    if refused is not None:
        return refused
    filters = ListingQuery(
        kind=parse_kind(request.args.get("kind")),
        tag=request.args.get("tag") or None,
        region=request.args.get("region") or None,
        language=interface_language(),
        page=parse_page(request.args.get("page")),
    )

    def build() -> Rendered:
        results = None
        if text:
            results = service.search(
                get_session(),
                service.SearchQuery(text=text, filters=filters),
                default_language=state.site.default_language,
                now=now(),
                page_size=state.settings.page_size,
            )
        html = render_template(
            "search/results.html", q=text, query=filters, page=results
        )
        return Rendered(html.encode(), HTML)

    key = page_key(("lang", filters.language))  # the language it is shown in
    return cached_response(
        key, build, max_age=SEARCH_MAX_AGE, vary=SEARCH_VARY, store_on_repeat=bool(text)
    )
