"""Citation downloads of a report and the accessibility statement."""

from __future__ import annotations

import contextlib
import re
from collections import OrderedDict

from flask import Blueprint, Response, current_app, render_template
from werkzeug.wrappers import Response as WerkzeugResponse

from comms import citations, seo
from comms.cache import Rendered, cached_response, current_stamp, request_key
from comms.catalogue import service as catalogue
from comms.catalogue.media import MEDIA_MAX_AGE
from comms.catalogue.moved import moved_response
from comms.checks import pdf_problems
from comms.context import comms_state, get_session, now, preferred_languages
from comms.errors import NotFound
from comms.pages.views import site_page
from comms.sitemap import in_sitemap

bp = Blueprint("findability", __name__)
_MEMO_KEY = "comms.citation_memo"
_MEMO_SIZE = 32
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
# As short as the report's page: an unpublished report's citation goes with it.
CITE_MAX_AGE = MEDIA_MAX_AGE
# The report's version follows the visitor's languages (cookie, Accept-Language).
CITE_VARY = "Accept-Language, Cookie"


@bp.get("/reports/<slug>/cite.<any(bib, ris, json):fmt>")
def cite(slug: str, fmt: str) -> Response | WerkzeugResponse:
    """A report's citation as BibTeX, RIS or CSL-JSON (a download, with validators)."""
    wanted = preferred_languages()
    content_type, extension = citations.FORMATS[fmt]

    def build() -> Rendered:
        body = citations.render(_citation(slug, wanted), fmt)
        return Rendered(body.encode("utf-8"), content_type)

    key = request_key([("want", ",".join(wanted))])
    try:
        response = cached_response(key, build, max_age=CITE_MAX_AGE, vary=CITE_VARY)
    except NotFound:
        moved = moved_response("report", slug, "findability.cite", fmt=fmt)
        if moved is None:
            raise
        return moved
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_SAFE.sub("-", slug)}.{extension}"'
    )
    return response


def _citation(slug: str, wanted: list[str]) -> citations.Citation:
    """The report's citation data, remembered for the next format of the same report.

    Keyed on the catalogue stamp, so a change is seen at once; a static export asks
    for the three formats in a row and builds the data once.
    """
    stamp = current_stamp()
    memo: OrderedDict[tuple[str, ...], citations.Citation] = (
        current_app.extensions.setdefault(_MEMO_KEY, OrderedDict())
    )
    key = (stamp, slug, *wanted)
    citation = memo.get(key)
    if citation is None:
        found = catalogue.get_item_page(
            get_session(),
            "report",
            slug,
            wanted=wanted,
            default_language=comms_state().site.default_language,
            now=now(),
        )
        if found.item.published_at is None:
            raise NotFound(f"no report {slug!r}")
        citation = seo.report_citation(found.item)
        memo[key] = citation
        while len(memo) > _MEMO_SIZE:
            with contextlib.suppress(KeyError):  # another thread trimmed it first
                memo.popitem(last=False)
    return citation


@bp.get("/accessibility/")
@in_sitemap()
def accessibility() -> str:
    """The accessibility statement (EU Web Accessibility Directive model)."""
    problems = pdf_problems(
        get_session(), store=comms_state().store, public_only=True, now=now()
    )
    return render_template(
        "web/accessibility.html",
        pdf_problems=problems,
        page=site_page("accessibility"),
    )
