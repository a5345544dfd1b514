"""Citation downloads of a report and the accessibility statement."""

from __future__ import annotations

import re

from flask import Blueprint, Response, render_template

from comms import citations, seo
from comms.catalogue import service as catalogue
from comms.checks import pdf_problems
from comms.errors import NotFound
from comms.web.context import comms_state, get_session, now, preferred_languages

bp = Blueprint("findability", __name__)
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


@bp.get("/reports/<slug>/cite.<any(bib, ris, json):fmt>")
def cite(slug: str, fmt: str) -> Response:
    """A report's citation as BibTeX, RIS or CSL-JSON (a download)."""
    found = catalogue.get_item_page(
        get_session(),
        "report",
        slug,
        wanted=preferred_languages(),
        default_language=comms_state().site.default_language,
        now=now(),
    )
    if found.item.published_at is None:
        raise NotFound(f"no report {slug!r}")
    body = citations.render(seo.report_citation(found.item), fmt)
    content_type, extension = citations.FORMATS[fmt]
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_SAFE.sub("-", slug)}.{extension}"'
    )
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


@bp.get("/accessibility/")
def accessibility() -> str:
    """The accessibility statement (EU Web Accessibility Directive model)."""
    problems = pdf_problems(
        get_session(), store=comms_state().store, public_only=True, now=now()
    )
    return render_template("web/accessibility.html", pdf_problems=problems)
