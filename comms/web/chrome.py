"""The public site's head links, header and footer, rendered once and kept.

Every public page carries the same header and footer (the EU acknowledgement,
the navigation, the footer's links) and the same stylesheet and icon links:
about a fifth of a page's rendering. What they show depends only on the site
(fixed while the app runs), the interface language, the section the page
belongs to (the navigation marks it) and the script root the URLs are under, so
each part is rendered once per such combination and kept by the app. The
language switcher, which links to this very page, stays in ``base.html``.
Nothing is kept while templates reload on change (debug mode).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from markupsafe import Markup

from comms.context import language_despite_query

EXTENSION = "comms.chrome"
PARTS = {
    "head": "_partials/_chrome_head.html",
    "header": "_partials/_chrome_header.html",
    "footer": "_partials/_chrome_footer.html",
}
LIMIT = 1_000


def current_section() -> str:
    """The navigation entry of this page: ``news``, ``search``, ``kind:<plural>``
    (a kind's listing and its items) or nothing."""
    if request.endpoint == "catalogue.news":
        return "news"
    if request.endpoint == "search.search":
        return "search"
    plural = (request.view_args or {}).get("plural")
    return f"kind:{plural}" if plural else ""


def site_chrome(part: str) -> Markup:
    """One of the shared parts of a public page (``PARTS``), as HTML."""
    section = current_section() if part == "header" else ""
    language = language_despite_query()
    key = (part, language, section, request.script_root)
    kept: dict[Any, Markup] = current_app.extensions[EXTENSION]
    found = kept.get(key)
    if found is None:
        # Rendered as a part of the page, not as a page: no template signals
        # (``comms check`` names the page's own template). Autoescaped: HTML.
        context: dict[str, Any] = {"current": section}
        current_app.update_template_context(context)
        template = current_app.jinja_env.get_template(PARTS[part])
        found = Markup(template.render(context))  # noqa: S704
        # While templates reload on change (debug mode), an edit shows at once.
        if len(kept) < LIMIT and not current_app.jinja_env.auto_reload:
            kept[key] = found
    return found


def init_app(app: Flask) -> None:
    """Give the templates ``site_chrome``, with this app's parts kept."""
    app.extensions[EXTENSION] = {}
    app.add_template_global(site_chrome)
