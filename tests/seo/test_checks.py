"""`comms check`: EU visibility on every public page and the newsletter; PDF checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from comms.catalogue.content_files import import_tree
from comms.catalogue.models import ReportFile
from comms.checks import pdf_problems
from tests.conftest import CONTENT, REPO
from tests.factories import make_pdf, make_report, write_content

FUNDING = "Co-funded by the European Union"
ALT = "Flag of the European Union"
# The header and the footer every public page shares (comms.web.chrome).
CHROME = ("_partials/_chrome_header.html", "_partials/_chrome_footer.html")


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """A copy of the demo content (site.yml with the emblem, every kind of item)."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    return root


@pytest.fixture
def demo(app, session, store, content_dir):
    """The demo content imported."""
    import_tree(session, store, content_dir)
    session.commit()
    return app


def override_template(app, name: str, source: str, extra: dict | None = None) -> None:
    """Serve ``source`` as template ``name`` (the rest from templates/)."""
    override_templates(app, {name: source, **(extra or {})})


def override_templates(app, templates: dict[str, str]) -> None:
    """Serve these sources as these templates (the rest from templates/)."""
    app.jinja_loader = ChoiceLoader([DictLoader(templates), app.jinja_loader])
    app.jinja_env.cache = {}


def chrome_with(old: str, new: str) -> dict[str, str]:
    """The shared header and footer with ``old`` (in both) replaced by ``new``."""
    parts = {}
    for name in CHROME:
        source = (REPO / "templates" / name).read_text()
        assert old in source, name
        parts[name] = source.replace(old, new)
    return parts


def test_check_passes_on_the_demo_content(demo, runner):
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "EU visibility:" in result.stdout
    assert "error:" not in result.stderr
    assert "0 PDF warnings" in result.stdout


def test_check_fails_when_a_template_drops_the_acknowledgement(demo, runner):
    # The acknowledgement is in the header and the footer every page shares.
    override_templates(demo, chrome_with("{{ site.funding_text|translated }}", ""))
    result = runner.invoke(args=["check"])
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines, result.stderr
    assert any(
        line.startswith("error: /reports/ (catalogue/listing.html)")
        and f"the funding acknowledgement {FUNDING!r} is missing" in line
        for line in lines
    ), lines
    assert any(line.startswith("error: /accessibility/ ") for line in lines)
    assert "EU visibility problem" in result.stderr.splitlines()[-1]


def test_check_fails_when_the_emblem_loses_its_alt_text(demo, runner):
    override_templates(
        demo, chrome_with('alt="{{ site.emblem_alt|translated }}"', 'alt=""')
    )
    result = runner.invoke(args=["check"])
    assert result.exit_code != 0
    assert "error: / (catalogue/listing.html)" in result.stderr
    assert f"no emblem image with alt text {ALT!r}" in result.stderr


def test_check_names_the_one_page_type_that_lacks_the_footer(demo, runner):
    base = (REPO / "templates" / "base.html").read_text()
    header = (REPO / "templates" / "_partials" / "_chrome_header.html").read_text()
    # the header's identity bar shows the acknowledgement too: take it out as well
    start = header.index('<div class="identity">')
    end = header.index('<div class="wrap header-row">')
    header = header[:start] + header[end:]
    bare = base.replace("{{ site_chrome('footer') }}", "").replace(
        "{{ site_chrome('header') }}", "{% include 'bare_header.html' %}"
    )
    item = (REPO / "templates" / "catalogue" / "item.html").read_text()
    override_template(
        demo,
        "catalogue/item.html",
        item.replace('{% extends "base.html" %}', '{% extends "bare.html" %}'),
        {"bare.html": bare, "bare_header.html": header},
    )
    result = runner.invoke(args=["check"])
    assert result.exit_code != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    # every item page fails, and only those
    assert errors and all("(catalogue/item.html)" in e for e in errors)
    assert {e.split()[1].split("/")[1] for e in errors} == {
        "press-releases",
        "reports",
        "videos",
        "events",
    }


def test_check_fails_when_the_newsletter_lacks_the_acknowledgement(demo, runner):
    # the mail and the confirmation share the acknowledgement's partial
    mail = (REPO / "templates" / "email" / "_funding.html").read_text()
    assert "{{ site.funding_text|translated }}" in mail
    override_template(
        demo,
        "email/_funding.html",
        mail.replace("{{ site.funding_text|translated }}", ""),
    )
    result = runner.invoke(args=["check"])
    assert result.exit_code != 0
    assert (
        "error: newsletter mail (email/newsletter.html): the funding acknowledgement"
        in result.stderr
    )


def test_check_fails_without_an_emblem_in_site_yml(demo, runner, content_dir):
    site = content_dir / "site.yml"
    site.write_text(site.read_text().replace("emblem: media/eu-emblem.svg", ""))
    from comms.site import load_site

    demo.extensions["comms"].site = load_site(content_dir)
    result = runner.invoke(args=["check"])
    assert result.exit_code != 0
    assert "error: site.yml: funding.emblem" in result.stderr


def test_pdf_problems_are_warnings_found_at_import(demo, runner, session, content_dir):
    (content_dir / "media" / "bare.pdf").write_bytes(make_pdf("Bare"))
    write_content(
        content_dir,
        "reports/bare.en.md",
        "---\ntitle: Bare\npublished_at: 2018-05-15T09:00:00Z\n"
        "files: [{path: ../media/bare.pdf, language: en}]\n---\n",
    )
    import_tree(session, demo.extensions["comms"].store, content_dir)
    session.commit()
    row = session.scalars(
        select(ReportFile).where(ReportFile.filename == "bare.pdf")
    ).one()
    assert (row.pdf_title, row.pdf_language, row.pdf_tagged) == ("Bare", None, False)
    demo_row = session.scalars(
        select(ReportFile).where(ReportFile.filename == "policy-report.pdf")
    ).one()
    assert demo_row.pdf_tagged is True and demo_row.pdf_language == "en-GB"

    problems = pdf_problems(session)
    assert [str(p) for p in problems] == [
        "reports/bare (en) bare.pdf: no document language, not a tagged PDF"
    ]
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert (
        "warning: PDF accessibility: reports/bare (en) bare.pdf: "
        "no document language, not a tagged PDF"
    ) in result.stderr
    assert "1 PDF warnings" in result.stdout


def test_pdf_problems_reads_files_not_checked_at_import(app, session, store):
    make_report(session, store, slug="uploaded", data=make_pdf("Uploaded"))
    assert [p.missing for p in pdf_problems(session)] == [("not checked yet",)]
    [problem] = pdf_problems(session, store=store)
    assert problem.missing == ("no document language", "not a tagged PDF")


def test_accessibility_statement(demo, client, session, content_dir):
    html = client.get("/accessibility/").get_data(as_text=True)
    for heading in (
        "Compliance status",
        "Non-accessible content",
        "Preparation of this accessibility statement",
        "Feedback and contact information",
        "Enforcement procedure",
    ):
        assert f">{heading}</h2>" in html
    assert "Directive (EU) 2016/2102" in html
    assert "partially compliant" in html
    assert 'href="mailto:communication@s3-4alpclusters.example"' in html
    assert "Every report PDF published on this site has a document title" in html
    footer = html[html.index("<footer") :]
    assert 'href="/accessibility/"' in footer


def test_accessibility_statement_lists_inaccessible_pdfs(client, session, store):
    make_report(session, store, slug="untagged", data=make_pdf("Untagged"))
    html = client.get("/accessibility/").get_data(as_text=True)
    assert 'href="/reports/untagged/"' in html
    assert "no document language, not a tagged PDF" in html
