"""Map domain errors and HTTP errors to pages (HTML) with the right status."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from comms.errors import BadRequest, NotFound, ValidationFailed
from comms.i18n import translated
from comms.messages import N_


def _render(
    status: int, title: str, message: str
) -> tuple[str | dict[str, object], int]:
    wants_json = request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )
    if wants_json:
        return {"error": {"status": status, "title": title, "message": message}}, status
    return render_template(
        "errors/error.html",
        status=status,
        title=translated(title),
        message=translated(message),
    ), status


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> tuple[str | dict[str, object], int]:
        return _render(404, N_("Page not found"), str(exc))

    @app.errorhandler(BadRequest)
    def bad_request(exc: BadRequest) -> tuple[str | dict[str, object], int]:
        return _render(400, N_("Bad request"), str(exc))

    @app.errorhandler(ValidationFailed)
    def invalid(exc: ValidationFailed) -> tuple[str | dict[str, object], int]:
        return _render(422, N_("Invalid input"), str(exc))

    @app.errorhandler(HTTPException)
    def http_error(
        exc: HTTPException,
    ) -> Response | tuple[str | dict[str, object], int]:
        if exc.code is None or exc.code < 400:
            return exc.get_response()
        titles = {404: N_("Page not found"), 405: N_("Method not allowed")}
        title = titles.get(exc.code, exc.name)
        return _render(exc.code, title, exc.description or title)
