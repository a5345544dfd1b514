"""comms: a communications and dissemination manager for cooperation projects."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from comms.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask application with the commands on ``app.cli`` too.

    Imports stay lazy so `import comms` is cheap; ``flask --app comms`` and
    gunicorn's ``comms:create_app()`` call this.
    """
    from comms import cli
    from comms.app import build_app

    app = build_app(settings)
    cli.init_app(app)
    return app
