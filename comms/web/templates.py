"""Template loading that remembers which templates the app does not have.

Some templates are optional (``{% include ... ignore missing %}``: the admin
editor's kind partials; the public pages ask ``kind_partial``, see
``comms/web/kind_parts.py``), and Flask's loader looks for a missing one in the
app's folder and every blueprint's, each time, before saying so. The answer does
not change while the app runs, so it is kept (not while templates reload on
change, as in debug mode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from jinja2 import BaseLoader, Environment, TemplateNotFound

MISSING_LIMIT = 1_000


class KeepingMissing(BaseLoader):
    """``loader``, answering at once for a template it has said it lacks."""

    def __init__(self, loader: BaseLoader) -> None:
        self.loader = loader
        self.missing: set[str] = set()

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template in self.missing:
            raise TemplateNotFound(template)
        try:
            return self.loader.get_source(environment, template)
        except TemplateNotFound:
            if not environment.auto_reload and len(self.missing) < MISSING_LIMIT:
                self.missing.add(template)
            raise

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()


def init_app(app: Flask) -> None:
    """Wrap the app's template loader (once)."""
    env: Any = app.jinja_env
    if not isinstance(env.loader, KeepingMissing):
        env.loader = KeepingMissing(env.loader)
