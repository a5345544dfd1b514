"""`comms check`: EU visibility on every public page and the newsletter; PDF checks.

An omitted funding acknowledgement can make a project's costs ineligible, so the
check renders each kind of public page through the app (against the current
content) and fails when the acknowledgement text or the emblem with its alt text is
missing. Report PDFs without a title, a language or tags are listed as warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import click
from flask import Flask, template_rendered
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.catalogue.models import KIND_PLURALS, KINDS, Item, Newsletter, ReportFile
from comms.catalogue.service import visible
from comms.commands import get_app
from comms.i18n import babel_locale, translated
from comms.pdf_access import pdf_findings
from comms.self_requests import STATIC_COPY, mark
from comms.site import Site
from comms.storage import InvalidFile, MediaStore, inspect_pdf

MISSING_PAGE = "/comms-check-no-such-page/"
STATIC_PAGES = (
    "/",
    "/press-releases/",
    "/reports/",
    "/videos/",
    "/events/",
    "/search",
    "/search?q=project",
    "/newsletter/",
    "/newsletter/subscribe",
    "/accessibility/",
)


# --- PDF accessibility --------------------------------------------------------------


@dataclass(frozen=True)
class PdfProblem:
    """What a report's PDF lacks for accessibility."""

    slug: str
    language: str
    filename: str
    missing: tuple[str, ...]

    def __str__(self) -> str:
        return f"reports/{self.slug} ({self.language}) {self.filename}: " + ", ".join(
            self.missing
        )


def _findings_of(row: ReportFile, store: MediaStore | None) -> tuple[str, ...]:
    if row.pdf_tagged is not None:
        return pdf_findings(row.pdf_title, row.pdf_language, row.pdf_tagged)
    if store is None:
        return ("not checked yet",)
    try:
        info = inspect_pdf(store.read(row.sha256), extract_text=False)
    except (OSError, ValueError, InvalidFile):
        return ("the stored file cannot be read",)
    return pdf_findings(info.title, info.language, info.tagged)


def pdf_problems(
    session: Session,
    *,
    store: MediaStore | None = None,
    public_only: bool = False,
    now: datetime | None = None,
) -> list[PdfProblem]:
    """Every report PDF lacking a title, a language or tags, by report.

    Files not checked at import are read from ``store`` when given.
    """
    stmt = (
        select(ReportFile, Item.slug, Item.language)
        .join(Item, ReportFile.item_id == Item.id)
        .where(Item.kind == "report")
        .order_by(Item.slug, Item.language, ReportFile.position)
    )
    if public_only:
        stmt = stmt.where(visible(Item, now or datetime.now(UTC)))
    problems = []
    for row, slug, language in session.execute(stmt):
        missing = _findings_of(row, store)
        if missing:
            problems.append(PdfProblem(slug, language, row.filename, missing))
    return problems


# --- EU visibility ----------------------------------------------------------------


class _Images(HTMLParser):
    """Collects the alt text of every <img>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.alts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.alts.append(dict(attrs).get("alt") or "")


def visibility_problems(html: str, site: Site) -> list[str]:
    """What a rendered page or mail lacks: the acknowledgement, the emblem's alt."""
    problems = []
    text = site.funding_text
    if text and text not in html and str(escape(text)) not in html:
        problems.append(f"the funding acknowledgement {text!r} is missing")
    if site.emblem and site.emblem_alt:
        parser = _Images()
        parser.feed(html)
        if site.emblem_alt not in parser.alts:
            problems.append(f"no emblem image with alt text {site.emblem_alt!r}")
    return problems


_HTML_LANG = re.compile(r'<html[^>]*\slang="([^"]+)"')


def site_in_language(app: Flask, site: Site, language: str) -> Site:
    """``site`` with its funding texts as pages in ``language`` show them."""
    with app.app_context(), force_locale(babel_locale(language)):
        return replace(
            site,
            funding_text=translated(site.funding_text),
            emblem_alt=translated(site.emblem_alt),
        )


def site_problems(site: Site) -> list[str]:
    """What site.yml lacks for the EU visibility rules."""
    problems = []
    if not site.funding_text.strip():
        problems.append("site.yml: funding.text (the acknowledgement) is empty")
    if not site.emblem:
        problems.append("site.yml: funding.emblem (the EU emblem image) is not set")
    if not site.emblem_alt.strip():
        problems.append("site.yml: funding.emblem_alt (its alt text) is empty")
    return problems


@dataclass
class CheckReport:
    """Problems fail the check; warnings and notes are shown only."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pages: int = 0


def public_urls(session: Session, now: datetime) -> tuple[list[str], list[str]]:
    """One URL of every public page type (with notes on what had no example)."""
    urls = list(STATIC_PAGES)
    notes = []
    for kind in KINDS:
        item = session.scalars(
            select(Item)
            .where(Item.kind == kind, visible(Item, now))
            .order_by(Item.published_at.desc(), Item.id)
            .limit(1)
        ).first()
        if item is None:
            notes.append(
                f"no public {kind.replace('_', ' ')}: its page was not checked"
            )
        else:
            urls.append(f"/{KIND_PLURALS[kind]}/{item.slug}/?lang={item.language}")
    letter = session.scalars(
        select(Newsletter)
        .where(Newsletter.status == "published", Newsletter.published_at <= now)
        .order_by(Newsletter.published_at.desc())
        .limit(1)
    ).first()
    if letter is None:
        notes.append("no published newsletter issue: its web page was not checked")
    else:
        urls.append(f"/newsletter/{letter.slug}/?lang={letter.language}")
    urls.append(MISSING_PAGE)
    return urls, notes


def check_pages(app: Flask, urls: list[str], site: Site) -> list[str]:
    """Render each URL; one problem line per page lacking the EU visibility."""
    problems = []
    client = app.test_client()
    for url in urls:
        templates: list[str] = []

        def record(_sender: Any, template: Any, **_extra: Any) -> None:
            templates.append(str(template.name))  # noqa: B023 - used at once

        with template_rendered.connected_to(record, app):
            # Read as an export reads: no visit to count, no session, not stored.
            response = client.get(url, environ_base=mark(STATIC_COPY))
        expected = 404 if url == MISSING_PAGE else 200
        where = f"{url} ({', '.join(dict.fromkeys(templates)) or 'no template'})"
        if response.status_code != expected:
            problems.append(f"{where}: answered {response.status_code}")
            continue
        html = response.get_data(as_text=True)
        match = _HTML_LANG.search(html)
        shown = site_in_language(app, site, match[1]) if match else site
        problems += [f"{where}: {p}" for p in visibility_problems(html, shown)]
    return problems


def check_newsletter(app: Flask, site: Site) -> tuple[list[str], list[str]]:
    """Render a newsletter mail; return its problems and notes."""
    try:
        app.jinja_env.get_template("email/newsletter.html")
    except TemplateNotFound:
        return [], ["templates/email/newsletter.html does not exist yet: not checked"]
    try:
        from comms.newsletter.mail import render_issue
    except ImportError:
        return [], ["the newsletter's mail renderer is missing: not checked"]
    letter = Newsletter(
        slug="comms-check",
        language=site.default_language,
        translation="comms-check",
        title="comms check",
        intro="",
        intro_html="",
    )
    site_url = app.extensions["comms"].settings.site_url.rstrip("/")
    with app.test_request_context("/"):
        rendered = render_issue(app.jinja_env, letter, [], site=site, site_url=site_url)
    site = site_in_language(app, site, letter.language)
    problems = [
        f"newsletter mail (email/newsletter.html): {p}"
        for p in visibility_problems(rendered.html, site)
    ]
    if site.emblem and site.emblem_for_mail() is None:
        problems.append(
            f"newsletter mail: the EU emblem {site.emblem} is an SVG, which Gmail "
            "and Outlook do not show: name a PNG in site.yml's funding.mail_emblem "
            "(tools/make_eu_emblem.py draws one)"
        )
    if site.funding_text and site.funding_text not in rendered.text:
        problems.append(
            "newsletter mail (email/newsletter.txt): the funding acknowledgement "
            f"{site.funding_text!r} is missing"
        )
    return problems, []


def run_checks(app: Flask) -> CheckReport:
    """Every check against the app's current content and templates."""
    state = app.extensions["comms"]
    site: Site = state.site
    report = CheckReport(problems=site_problems(site))
    now = datetime.now(UTC)
    with state.sessionmaker() as session:
        urls, report.notes = public_urls(session, now)
        report.warnings = [
            f"PDF accessibility: {p}" for p in pdf_problems(session, store=state.store)
        ]
    report.problems += check_pages(app, urls, site)
    report.pages = len(urls)
    problems, notes = check_newsletter(app, site)
    report.problems += problems
    report.notes += notes
    return report


@click.command("check")
def check_command() -> None:
    """Check the EU acknowledgement on every public page and the newsletter; PDFs."""
    from comms import db

    app = get_app()
    if not db.schema_exists(app.extensions["comms"].engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    report = run_checks(app)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    count = len(report.problems)
    if count:
        raise click.ClickException(
            f"{count} EU visibility problem{'s' if count != 1 else ''}: the "
            "acknowledgement and the emblem must be on every public page and mail"
        )
    click.echo(
        f"EU visibility: {report.pages} pages and the newsletter carry the "
        f"acknowledgement and the emblem; {len(report.warnings)} PDF warnings"
    )
