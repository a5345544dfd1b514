"""What the commands of every domain share: the app they run in.

Each domain's ``cli.py`` defines its own click group or command and imports this
module, never ``comms.cli``: the command line on top attaches the domains' commands,
so imports between the command line and the domains go one way.
"""

from __future__ import annotations

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo

from comms import db
from comms.errors import CommsError


def get_app() -> Flask:
    """The current Flask app (under `flask`), else the one the command line builds.

    Outside an app context the app comes from the click context's ``ScriptInfo``:
    ``flask --app comms`` and a test runner put one there, and the ``comms`` group
    puts one that builds the app from the environment.
    """
    if has_app_context():
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        return app
    context = click.get_current_context(silent=True)
    info = context.find_object(ScriptInfo) if context else None
    if info is None:
        raise click.UsageError("run this command as `comms` or `flask --app comms`")
    try:
        app = info.load_app()
        # One line instead of a traceback when the database cannot be reached.
        db.check_reachable(app.extensions["comms"].engine)
    except CommsError as exc:
        raise click.ClickException(str(exc)) from None
    return app
