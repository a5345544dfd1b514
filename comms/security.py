"""Security headers on every response, and a clear 413 page naming the limit."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

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


def too_large_message(limit_mb: int) -> str:
    """What an officer reads when an upload is over the limit."""
    return (
        f"The upload is too large: files may be at most {limit_mb} MB "
        "(COMMS_MAX_UPLOAD_MB)."
    )


def init_app(app: Flask) -> None:
    """Add the headers to every response and register the 413 page."""
    settings = app.extensions["comms"].settings
    headers = security_headers(settings.site_url.startswith("https://"))

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
        message = too_large_message(settings.max_upload_mb)
        return render_template(
            "errors/error.html", status=413, title="File too large", message=message
        ), 413
