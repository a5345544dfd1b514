"""The read-only JSON API at /api/v1 for partner websites."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprint and its rate limiter."""
    from comms.api import limits, views

    limit = int(app.config.get("COMMS_API_RATE_LIMIT", limits.DEFAULT_LIMIT))
    app.extensions["comms.api_limiter"] = limits.FixedWindowLimiter(limit)
    app.register_blueprint(views.bp)
