"""Dissemination figures: privacy-friendly counting, indicators, charts, evidence."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the counting hook and the KPI pages (`comms kpi` is in comms.cli)."""
    from comms.kpi import counting
    from comms.kpi.views import bp

    counting.init_app(app)
    app.register_blueprint(bp)
