"""About, privacy notice and legal notice: site.yml facts and content/pages texts."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from comms.catalogue.page_texts import PageText, page_text
from comms.context import comms_state, interface_language, preferred_languages
from comms.sitemap import in_sitemap

bp = Blueprint("pages", __name__)
PAGES_KEY = "comms.pages"


def site_page(name: str) -> PageText | None:
    """The text of page ``name`` in the visitor's language, or the site's default."""
    pages = current_app.extensions[PAGES_KEY]
    wanted = [interface_language(), *preferred_languages()]
    return page_text(pages, name, wanted, comms_state().site.default_language)


@bp.get("/about/")
@in_sitemap()
def about() -> str:
    """The project: its aims and results, partners and their cities, EU funding."""
    return render_template("pages/about.html", page=site_page("about"))


@bp.get("/privacy/")
@in_sitemap()
def privacy() -> str:
    """The privacy notice: what the site stores, why and for how long."""
    return render_template("pages/privacy.html", page=site_page("privacy"))


@bp.get("/legal/")
@in_sitemap()
def legal() -> str:
    """The legal notice: who publishes the site, liability, copyright."""
    return render_template("pages/legal.html", page=site_page("legal"))
