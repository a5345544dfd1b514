"""Search, citations, structured data and the accessibility statement."""

from __future__ import annotations

from flask import Flask

from comms import ratelimit, seo
from comms.search.pages import bp as pages_bp
from comms.search.views import bp as search_bp


def init_app(app: Flask) -> None:
    """Register the search page, the citation downloads and the template helpers."""
    ratelimit.init_app(app)
    app.register_blueprint(search_bp)
    app.register_blueprint(pages_bp)
    seo.init_app(app)
