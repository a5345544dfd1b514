"""Map domain errors and HTTP errors to pages (HTML) with the right status.

A visitor reads every error page in the interface language: its title and its
explanation come from the catalogue, per status, never from Werkzeug's English
descriptions. The detail a service gave (``no report 'x'``) is English; it is shown
as the page's message where the catalogue translates it or the visitor reads
English, and otherwise folded away, marked ``lang="en"``. JSON answers (the API,
clients asking for JSON) keep their English title and message.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, render_template, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from comms.errors import BadRequest, NotFound, ValidationFailed
from comms.i18n import translated
from comms.messages import N_

# status -> (title, what it means for a visitor); English, translated when shown
STATUS_TEXTS = {
    400: (
        N_("Bad request"),
        N_("The address or the form contains a value that cannot be used."),
    ),
    401: (
        N_("Login required"),
        N_("This page is only open to signed-in users."),
    ),
    403: (
        N_("Access denied"),
        N_("You are not allowed to open this page."),
    ),
    404: (
        N_("Page not found"),
        N_(
            "There is no page at this address, or it is no longer public. Please "
            "check the address, or start again from the news page."
        ),
    ),
    405: (
        N_("Method not allowed"),
        N_("This address cannot be used this way. Please open it as a link."),
    ),
    406: (
        N_("Format not available"),
        N_("This page is not available in the format asked for."),
    ),
    409: (
        N_("Conflict"),
        N_("The request conflicts with a change made in the meantime. Please reload."),
    ),
    410: (
        N_("Page gone"),
        N_("This page has been removed and will not come back."),
    ),
    413: (
        N_("Too large"),
        N_("What was sent is larger than this site accepts."),
    ),
    414: (
        N_("Address too long"),
        N_("The address is longer than this site accepts."),
    ),
    415: (
        N_("Unsupported format"),
        N_("What was sent is in a format this site does not accept."),
    ),
    422: (
        N_("Invalid input"),
        N_("Some of what was sent cannot be used. Please check it and try again."),
    ),
    429: (
        N_("Too many requests"),
        N_(
            "There have been too many requests from your connection. Please wait a "
            "moment and try again."
        ),
    ),
    500: (
        N_("Server error"),
        N_(
            "Something went wrong on our side and the page could not be shown. "
            "Please try again later."
        ),
    ),
    503: (
        N_("Service unavailable"),
        N_("The site cannot answer right now. Please try again in a few minutes."),
    ),
}
OTHER_CLIENT_ERROR = (
    N_("Request not answered"),
    N_("The request could not be answered."),
)
OTHER_SERVER_ERROR = STATUS_TEXTS[500]
# The titles of HTTP errors in JSON answers (others: Werkzeug's name of the status).
JSON_TITLES = {404: "Page not found", 405: "Method not allowed"}
# The language the services' messages are written in.
MESSAGE_LANGUAGE = "en"


def status_texts(status: int) -> tuple[str, str]:
    """The (English) title and explanation of an error status."""
    fallback = OTHER_SERVER_ERROR if status >= 500 else OTHER_CLIENT_ERROR
    return STATUS_TEXTS.get(status, fallback)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_page(
    status: int,
    detail: str | None = None,
    *,
    message: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    json_title: str | None = None,
) -> Response:
    """The error page of ``status`` in the interface language.

    ``detail``: a service's English message, translated when the catalogue knows
    it. ``message``: an explanation already in the interface language, shown in
    place of the status's own. A JSON answer carries ``json_title`` (else the
    status's English title) and the detail as they are.
    """
    title, explanation = status_texts(status)
    if _wants_json():
        body = {"status": status, "title": json_title or title, "message": detail}
        if not detail:
            body["message"] = body["title"]
        return Response(
            current_app.json.dumps({"error": body}),
            status,
            headers=headers,
            mimetype="application/json",
        )
    shown_detail, english_detail = None, None
    if detail and detail not in (title, explanation):
        translated_detail = translated(detail)
        if translated_detail != detail or _reads_message_language():
            shown_detail = translated_detail
        else:
            english_detail = detail
    html = render_template(
        "errors/error.html",
        status=status,
        title=translated(title),
        explanation=message or translated(explanation),
        message=shown_detail,
        english_detail=english_detail,
        detail_language=MESSAGE_LANGUAGE,
    )
    return Response(html, status, headers=headers, mimetype="text/html")


def _reads_message_language() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == MESSAGE_LANGUAGE


def _http_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """What an HTTP error says besides its body: Allow, Retry-After, ..."""
    kept = []
    for name, value in exc.get_headers():
        if name.lower() not in ("content-type", "content-length"):
            kept.append((name, value))
    return kept


def _http_detail(exc: HTTPException) -> str | None:
    """An HTTP error's own description, unless it is Werkzeug's stock text."""
    description = exc.description
    if not description or description == type(exc).description:
        return None
    return description


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return error_page(404, str(exc))

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> Response:
        return error_page(400, str(exc))

    @app.errorhandler(ValidationFailed)
    def invalid(exc: ValidationFailed) -> Response:
        return error_page(422, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | WerkzeugResponse:
        if exc.code is None or exc.code < 400:
            return exc.get_response()
        headers = _http_headers(exc)
        if _wants_json():  # as the API has always answered: Werkzeug's texts
            title = JSON_TITLES.get(exc.code, exc.name)
            detail = exc.description or title
            return error_page(exc.code, detail, headers=headers, json_title=title)
        return error_page(exc.code, _http_detail(exc), headers=headers)
