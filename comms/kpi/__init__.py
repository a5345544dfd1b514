"""Dissemination figures: privacy-friendly counting, indicators, charts, evidence."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the counting hook, the KPI pages and the `comms kpi` command."""
    from comms import cli
    from comms.kpi import counting
    from comms.kpi.cli import kpi_command
    from comms.kpi.views import bp

    counting.init_app(app)
    app.register_blueprint(bp)
    if kpi_command.name not in cli.main.commands:
        cli.main.add_command(kpi_command)
