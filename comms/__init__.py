"""comms: a communications and dissemination manager for cooperation projects."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from comms.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask application (imports stay lazy so `import comms` is cheap)."""
    from comms.app import build_app

    return build_app(settings)
