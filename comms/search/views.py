"""The search page: `/search?q=` with the listing filters."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from comms.cache import Rendered, cached_response, page_key
from comms.catalogue.service import ListingQuery, parse_kind, parse_page
from comms.search import service
from comms.web.context import comms_state, get_session, interface_language, now

bp = Blueprint("search", __name__)
HTML = "text/html; charset=utf-8"
SEARCH_VARY = "Accept-Language, Cookie"
SEARCH_MAX_AGE = 60


@bp.get("/search")
def search() -> Response:
    """Search results for ?q=, or the empty form (cached like every public page)."""
    state = comms_state()
    text = (request.args.get("q") or "").strip()[:200]
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
