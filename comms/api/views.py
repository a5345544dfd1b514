"""`/api/v1`: items, tags, regions, newsletters and the OpenAPI document.

Every answer is JSON with an ETag (a matching If-None-Match gives 304), CORS for any
origin (GET, HEAD and the OPTIONS preflight) and a per-address rate limit (429 with
Retry-After). Errors keep the shape of comms.errors_http: ``{"error": {...}}``.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.wrappers import Response as WerkzeugResponse

from comms import ratelimit
from comms.api import openapi, service
from comms.catalogue.service import parse_kind
from comms.context import comms_state, get_session, now
from comms.errors import BadRequest

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_AGE = 60
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
EXPOSED = "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining"


def error_response(status: int, title: str, message: str) -> Response:
    """A JSON error in the documented shape."""
    response = jsonify(
        {"error": {"status": status, "title": title, "message": message}}
    )
    response.status_code = status
    return response


@bp.before_request
def rate_limit() -> Response | None:
    """Refuse with 429 past the per-address limit (preflights are not counted)."""
    if request.method == "OPTIONS":
        return None
    per_minute = comms_state().settings.api_rate_limit
    try:
        decision = ratelimit.limiter(current_app).hit(
            ratelimit.per(per_minute, 60),
            "api",
            ratelimit.request_client(),
            remaining=True,
        )
    except ratelimit.LimitsUnavailable as exc:
        # Open rather than closed: a read-only API of public data stays up when the
        # shared counts (Redis) are down; the failure is logged.
        current_app.logger.warning("API rate limit not applied: %s", exc)
        return None
    request.environ["comms.api_limit"] = (per_minute, decision)
    if decision.allowed:
        return None
    response = error_response(
        429,
        "Too many requests",
        f"at most {per_minute} requests a minute; retry in {decision.retry_after} s",
    )
    response.headers["Retry-After"] = str(decision.retry_after)
    return response


@bp.after_app_request
def api_headers(response: WerkzeugResponse) -> WerkzeugResponse:
    """CORS on every /api/ answer; ETag and conditional GET on successful ones."""
    if not request.path.startswith("/api/"):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        asked = request.headers.get("Access-Control-Request-Headers")
        response.headers["Access-Control-Allow-Headers"] = asked or "If-None-Match"
        response.headers["Access-Control-Max-Age"] = "86400"
        return response
    if response.status_code == 405 and "Allow" not in response.headers:
        adapter = current_app.url_map.bind_to_environ(request.environ)
        response.headers["Allow"] = ", ".join(sorted(adapter.allowed_methods()))
    counted = request.environ.get("comms.api_limit")
    if counted is not None:
        per_minute, decision = counted
        response.headers["X-RateLimit-Limit"] = str(per_minute)
        response.headers["X-RateLimit-Remaining"] = str(decision.remaining)
    if response.status_code == 200 and request.method in ("GET", "HEAD"):
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        response.add_etag()
        response.make_conditional(request)
    return response


@bp.get("/items")
def items() -> Response:
    """Public items, newest first, filtered like the site's listings."""
    state = comms_state()
    site = state.site
    cursor = request.args.get("cursor")
    query = service.ItemQuery(
        kind=parse_kind(request.args.get("kind")),
        tag=request.args.get("tag") or None,
        region=request.args.get("region") or None,
        language=service.check_language(request.args.get("lang"), site)
        or site.default_language,
        limit=service.parse_limit(request.args.get("limit")),
        after=service.decode_cursor(cursor) if cursor else None,
    )
    page = service.list_page(
        get_session(), query, default_language=site.default_language, now=now()
    )
    site_url = state.settings.site_url
    return jsonify(
        {
            "items": [service.item_data(i, site_url) for i in page.items],
            "next_cursor": page.next_cursor,
            "limit": query.limit,
        }
    )


@bp.get("/items/<kind>/<slug>")
def item(kind: str, slug: str) -> Response:
    """One public item (``kind`` singular or plural), in ``?lang=`` where it exists."""
    state = comms_state()
    parsed = parse_kind(kind)
    if parsed is None:  # pragma: no cover - the route never passes an empty kind
        raise BadRequest("kind is required")
    data = service.item_detail(
        get_session(),
        parsed,
        slug,
        language=service.check_language(request.args.get("lang"), state.site),
        site=state.site,
        site_url=state.settings.site_url,
        now=now(),
    )
    return jsonify(data)


@bp.get("/tags")
def tags() -> Response:
    """Every topic tag on a public item, with its item count."""
    return jsonify({"tags": service.tag_counts(get_session(), now())})


@bp.get("/regions")
def regions() -> Response:
    """The partner regions, with their public item counts."""
    return jsonify(
        {"regions": service.region_counts(get_session(), comms_state().site, now())}
    )


@bp.get("/newsletters")
def newsletters() -> Response:
    """Published newsletter issues, newest first."""
    state = comms_state()
    return jsonify(
        {
            "newsletters": service.newsletter_list(
                get_session(),
                language=service.check_language(request.args.get("lang"), state.site),
                site_url=state.settings.site_url,
                now=now(),
            )
        }
    )


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API."""
    state = comms_state()
    return jsonify(openapi.document(state.site, state.settings.site_url))
