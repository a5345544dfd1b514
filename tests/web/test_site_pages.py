"""About, privacy and legal notices and the accessibility statement: from content.

Their facts come from site.yml and their texts from content/pages/<name>.<lang>.md,
so another project changes no template.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from comms import create_app
from comms.db import init_db
from comms.errors import ConfigMissing
from tests.web.helpers import text

SITE_EXTRA = """\
partners:
  - {name: Alpha Lab, city: Zurich}
  - {name: Beta Institute, city: Trento, url: https://beta.example}
"""
PAGES = {
    "about.en.md": "---\ntitle: About us\n---\n## Aims\n\nConnect alpine clusters.\n",
    "about.de.md": "---\ntitle: Über uns\n---\n## Ziele\n\nAlpine Cluster verbinden.\n",
    "privacy.en.md": "---\ntitle: Privacy\n---\nWe keep your e-mail with consent.\n",
    "privacy.de.md": "---\ntitle: Datenschutz\n---\nWir speichern Ihre E-Mail.\n",
    "legal.en.md": "---\ntitle: Imprint\n---\nPublished by the lead partner.\n",
    "legal.de.md": "---\ntitle: Impressum\n---\nHerausgegeben vom Lead-Partner.\n",
    "accessibility.en.md": "---\ntitle: Accessibility statement\n---\n"
    "Prepared on 3 March 2031.\n",
    "accessibility.de.md": "---\ntitle: Erklärung zur Barrierefreiheit\n---\n"
    "Erstellt am 3. März 2031.\n",
}
# what each page shows, per language: from site.yml and from its content file
SHOWN = {
    "en": {
        "/about/": [
            "<h1>About us</h1>",
            "Connect alpine clusters.",
            '<strong>Alpha Lab</strong> <span class="partner-city">Zurich</span>',
            '<a href="https://beta.example" rel="noopener noreferrer">'
            'Beta Institute</a> <span class="partner-city">Trento</span>',
            '<dt>EU contribution</dt><dd class="eu-contribution">€1,875,000.00</dd>',
            "<dd>European Regional Development Fund</dd>",
            "<dd>ASP 1234</dd>",
        ],
        "/privacy/": ["<h1>Privacy</h1>", "We keep your e-mail with consent."],
        "/legal/": ["<h1>Imprint</h1>", "Published by the lead partner."],
        "/accessibility/": ["Prepared on 3 March 2031."],
    },
    "de": {
        "/about/": [
            "<h1>Über uns</h1>",
            "Alpine Cluster verbinden.",
            '<strong>Alpha Lab</strong> <span class="partner-city">Zurich</span>',
            '<dt>EU-Beitrag</dt><dd class="eu-contribution">1.875.000,00\xa0€</dd>',
        ],
        "/privacy/": ["<h1>Datenschutz</h1>", "Wir speichern Ihre E-Mail."],
        "/legal/": ["<h1>Impressum</h1>", "Herausgegeben vom Lead-Partner."],
        "/accessibility/": ["Erstellt am 3. März 2031."],
    },
}


def _write_site(content_dir: Path, extra: str = SITE_EXTRA) -> None:
    site = content_dir / "site.yml"
    site.write_text(
        site.read_text().replace(
            "funding: {text: Co-funded by the European Union}",
            "funding: {text: Co-funded by the European Union, eu_contribution: 1875000,"
            " funder: European Regional Development Fund, grant: ASP 1234}",
        )
        + extra
    )
    (content_dir / "pages").mkdir(exist_ok=True)
    for name, body in PAGES.items():
        (content_dir / "pages" / name).write_text(body)


@pytest.fixture
def pages(content_dir: Path) -> Path:
    """site.yml with partners and funding, and the pages' texts (before ``client``)."""
    _write_site(content_dir)
    return content_dir


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("url", ["/about/", "/privacy/", "/legal/", "/accessibility/"])
def test_each_page_shows_its_site_yml_facts_and_content_text(pages, client, url, lang):
    response = client.get(url + (f"?lang={lang}" if lang != "en" else ""))
    assert response.status_code == 200
    html = text(response)
    for expected in SHOWN[lang][url]:
        assert expected in html, (url, lang, expected)
    assert "This text is not available in your language" not in html


def test_the_accessibility_statement_has_no_hard_coded_date(pages, client):
    html = text(client.get("/accessibility/"))
    assert "27 November 2026" not in html
    assert "illustrative demo" not in html


def test_a_missing_translation_shows_the_default_text_marked_with_its_language(
    pages, client
):
    html = text(client.get("/privacy/?lang=fr"))
    assert "<h1>Avis de confidentialité</h1>" in html  # the interface's own title
    assert '<div class="body page-text" lang="en">' in html
    assert "We keep your e-mail with consent." in html


def test_every_page_links_about_privacy_legal_and_accessibility(pages, client):
    footer = text(client.get("/reports/")).split('<footer class="site-footer">')[1]
    for href in ("/about/", "/privacy/", "/legal/", "/accessibility/"):
        assert f'href="{href}"' in footer


def test_a_changed_site_yml_shows_without_touching_a_template(settings, content_dir):
    """Another project: other partners, other figures; the same templates."""
    _write_site(content_dir, "partners:\n  - {name: Gamma Cluster, city: Graz}\n")
    site = content_dir / "site.yml"
    site.write_text(site.read_text().replace("1875000", "990000.5"))
    app = create_app(settings)
    init_db(app.extensions["comms"].engine)
    try:
        html = text(app.test_client().get("/about/"))
    finally:
        app.extensions["comms"].engine.dispose()
    assert (
        '<strong>Gamma Cluster</strong> <span class="partner-city">Graz</span>' in html
    )
    assert "€990,000.50" in html
    assert "Alpha Lab" not in html


def test_page_bodies_are_sanitised_like_item_bodies(pages, client, content_dir):
    (content_dir / "pages" / "legal.en.md").write_text(
        "---\ntitle: Imprint\n---\n<script>alert(1)</script>\n\n"
        "[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
    )
    # pages are read when the app starts: a fresh app sees the new file
    from comms.catalogue.page_texts import load_pages

    page = load_pages(content_dir, ("en", "de"))[("legal", "en")]
    assert "<script" not in page.body_html
    assert 'href="javascript:' not in page.body_html
    assert "onerror" not in page.body_html


@pytest.mark.parametrize(
    "name, body, problem",
    [
        ("team.en.md", "---\ntitle: Team\n---\n", "name it <page>.<language>.md"),
        ("about.es.md", "---\ntitle: Acerca\n---\n", "name it <page>.<language>.md"),
        ("about.en.md", "no front matter\n", "no front matter"),
        ("about.en.md", "---\ntitle: ''\n---\n", "title is required"),
        ("about.en.md", "---\ntitle: A\nlayout: x\n---\n", "unknown keys layout"),
        ("about.en.md", '---\ntitle: "A\\nB"\n---\n', "title must be one line"),
    ],
)
def test_a_broken_page_file_stops_the_app_with_its_path(
    settings, content_dir, name, body, problem
):
    (content_dir / "pages").mkdir()
    (content_dir / "pages" / name).write_text(body)
    with pytest.raises(ConfigMissing, match=re.escape(problem)) as caught:
        create_app(settings)
    assert name in str(caught.value)


@pytest.mark.parametrize(
    "extra, problem",
    [
        ("partners: [{city: Graz}]\n", "partners #1: must have a name"),
        ("partners: [{name: A, url: 'javascript:x'}]\n", "partners #1: url:"),
        ("partners: {name: A}\n", "partners: must be a list"),
    ],
)
def test_bad_partners_or_amounts_in_site_yml_are_refused(content_dir, extra, problem):
    from comms.site import load_site

    site = content_dir / "site.yml"
    site.write_text(site.read_text() + extra)
    with pytest.raises(ConfigMissing, match=re.escape(problem)):
        load_site(content_dir)


@pytest.mark.parametrize("amount", ["-5", "lots", "true"])
def test_a_funding_amount_must_be_a_number(content_dir, amount):
    from comms.site import load_site

    site = content_dir / "site.yml"
    site.write_text(
        site.read_text().replace(
            "funding: {text: Co-funded by the European Union}",
            f"funding: {{eu_contribution: {amount}}}",
        )
    )
    with pytest.raises(
        ConfigMissing, match="funding.eu_contribution: must be a number"
    ):
        load_site(content_dir)


def test_import_checks_the_pages_and_export_writes_them_back(
    pages, runner, tmp_path, content_dir
):
    out = tmp_path / "export"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    for name, body in PAGES.items():
        assert (out / "pages" / name).read_text() == body
    assert runner.invoke(args=["import", str(out)]).exit_code == 0
    (out / "pages" / "about.en.md").write_text("no front matter\n")
    result = runner.invoke(args=["import", str(out)])
    assert result.exit_code != 0
    assert f"{out / 'pages' / 'about.en.md'}: no front matter" in result.output
