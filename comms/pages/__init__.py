"""The site's own pages: About, privacy notice, legal notice (content/pages/)."""

from __future__ import annotations

from flask import Flask

from comms.catalogue.page_texts import load_pages
from comms.pages.views import PAGES_KEY, bp


def init_app(app: Flask) -> None:
    """Read content/pages once (a broken file stops here) and register the pages."""
    state = app.extensions["comms"]
    app.extensions[PAGES_KEY] = load_pages(
        state.settings.content_dir, state.site.languages
    )
    app.register_blueprint(bp)
