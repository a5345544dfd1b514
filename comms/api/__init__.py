"""The read-only JSON API at /api/v1 for partner websites."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprint and its per-client rate limit."""
    from comms import ratelimit
    from comms.api import views

    ratelimit.init_app(app)
    app.register_blueprint(views.bp)
