"""The newsletter: archive pages, subscribers with double opt-in, sending by e-mail."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the newsletter pages, the CSRF helper and the command groups."""
    from comms import cli, csrf, ratelimit
    from comms.newsletter.cli import newsletter_group, subscribers_group
    from comms.newsletter.views import bp

    csrf.init_app(app)
    ratelimit.init_app(app)
    app.register_blueprint(bp)
    for group in (newsletter_group, subscribers_group):
        if group.name not in cli.main.commands:
            cli.main.add_command(group)
