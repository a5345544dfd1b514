"""The public site's shared parts: template helpers, health, robots, site media."""

from __future__ import annotations

import re

from flask import Flask, g, request
from werkzeug.wrappers import Response

from comms.context import comms_state
from comms.errors import BadRequest
from comms.messages import N_
from comms.web import assets, chrome, filters, kind_parts, templates, theme, urls, views

LANG_COOKIE_AGE = 365 * 24 * 3600


def remember_language(response: Response) -> Response:
    """Keep a visitor's explicit `?lang=` choice in a first-party preference cookie."""
    lang = request.args.get("lang")
    if (
        lang
        and response.status_code < 400
        and lang in comms_state().site.languages
        and request.cookies.get("lang") != lang
    ):
        response.set_cookie(
            "lang",
            lang,
            max_age=LANG_COOKIE_AGE,
            samesite="Lax",
            httponly=True,
            secure=comms_state().settings.https,  # like the session cookie
        )
    return response


def vary_on_language(response: Response) -> Response:
    """Name the headers the language came from on every answer that chose one.

    A shared cache (nginx, a CDN) must keep one copy per Accept-Language and per
    ``lang`` cookie of any answer whose language was negotiated.
    """
    if g.get("language_negotiated"):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refuse_control_characters() -> None:
    """Answer 400 to URLs carrying control characters (no database accepts NUL)."""
    values = [request.path]
    query = request.query_string
    # Only a %-escape or a raw control byte can put one into the parsed arguments.
    if b"%" in query or _CONTROL_BYTES.search(query):
        values += [*request.args.keys(), *request.args.values()]
    if any(_CONTROL.search(v) for v in values):
        raise BadRequest(N_("the address contains characters that are not allowed"))


def init_app(app: Flask) -> None:
    """Register the web blueprint, template helpers and the language cookie."""
    app.register_blueprint(views.bp)
    app.register_blueprint(theme.bp)
    app.add_template_global(theme.theme_url)
    filters.init_app(app)
    assets.init_app(app)
    urls.init_app(app)
    templates.init_app(app)
    chrome.init_app(app)
    kind_parts.init_app(app)
    app.after_request(remember_language)
    app.after_request(vary_on_language)
    app.before_request(refuse_control_characters)
