"""The newsletter: archive pages, subscribers with double opt-in, sending by e-mail."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the newsletter pages and the CSRF helper (commands: comms.cli)."""
    from comms import csrf, ratelimit
    from comms.newsletter.views import bp

    csrf.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(bp)
