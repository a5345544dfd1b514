"""The public site's shared parts: template helpers, health, robots, site media."""

from __future__ import annotations

from flask import Flask

from comms.web import filters, views


def init_app(app: Flask) -> None:
    """Register the web blueprint and template helpers."""
    app.register_blueprint(views.bp)
    filters.init_app(app)
