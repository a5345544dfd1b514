"""Security headers on every response, a clear 413 page naming the limit, and
the refusal of NUL characters in a request before any view stores or queries them.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from comms.errors import BadRequest
from comms.errors_http import error_page

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "frame-src https://www.youtube-nocookie.com",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(https: bool) -> dict[str, str]:
    """The headers every response carries (HSTS only on an https site)."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, building the signing serializer once per key.

    Flask builds it on every request, cookie or not; for a cached page that was
    a tenth of the request's time.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        """The serializer for the app's current keys (built on first use)."""
        key = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            self._serializers[key] = serializer
        return serializer


def _shown(name: str) -> str:
    return name.replace("\x00", "\\0")[:60]


def refuse_nul_characters() -> None:
    """Answer 400 when the path, a parameter or a form field holds a NUL character.

    PostgreSQL cannot store or compare text containing NUL, so such a value would
    end in a 500 there (and be stored as given on SQLite); no form or link of the
    site ever sends one, so it is refused once here for every view.
    """
    if "\x00" in request.path:
        raise BadRequest("the address contains a NUL character")
    for what, values in (("parameter", request.args), ("field", request.form)):
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                raise BadRequest(f"the {what} {_shown(name)} contains a NUL character")
    for name, upload in request.files.items(multi=True):
        if "\x00" in name or "\x00" in (upload.filename or ""):
            raise BadRequest(f"the file {_shown(name)} contains a NUL character")


# The largest value of an INTEGER column (PostgreSQL's int4; every id here is one).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number no row can have does not match (404).

    Werkzeug's own converter accepts any length of digits, which the database
    then refuses with an overflow error: a 500 instead of "not found".
    """

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_input_checks(app: Flask) -> None:
    """Check every request's input before the other hooks and the views see it."""
    # Set before any blueprint adds a rule: a rule takes its converter when added.
    app.url_map.converters["int"] = IdConverter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul_characters)


def too_large_message(limit_mb: int) -> str:
    """What an officer reads when an upload is over the limit."""
    return (
        f"The upload is too large: files may be at most {limit_mb} MB "
        "(COMMS_MAX_UPLOAD_MB)."
    )


def init_app(app: Flask) -> None:
    """Add the headers to every response and register the 413 page."""
    settings = app.extensions["comms"].settings
    headers = [(n.lower(), n, v) for n, v in security_headers(settings.https).items()]
    app.session_interface = SessionInterface()

    @app.after_request
    def add_headers(response: Response) -> Response:
        # One pass over the response's headers, not one lookup per added header.
        present = {name.lower() for name in response.headers.keys()}  # noqa: SIM118
        for lower, name, value in headers:
            if lower not in present:
                response.headers.add(name, value)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge) -> Response:
        message = gettext(
            "What was sent is too large: files may be at most %(limit)s MB.",
            limit=settings.max_upload_mb,
        )
        return error_page(
            413, too_large_message(settings.max_upload_mb), message=message
        )
