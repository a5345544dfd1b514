"""Citable reports: BibTeX, RIS and CSL-JSON downloads, Highwire meta tags."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from tests.factories import make_item, make_report

SITE_URL = "http://127.0.0.1:5000"
FUNDED_SITE = (
    "name: Test Project\n"
    "default_language: en\n"
    "languages: [en, de]\n"
    "funding: {text: Co-funded by the European Union, funder: European Regional "
    "Development Fund, grant: ASP 123}\n"
)


@pytest.fixture
def content_dir(content_dir):
    """The site names its funder and grant."""
    (content_dir / "site.yml").write_text(FUNDED_SITE)
    return content_dir


@pytest.fixture
def report(session, store):
    """A report with authors, a DOI and a deliverable code on a funded site."""
    return make_report(
        session,
        store,
        slug="stresstest-lombardia",
        title="StressTest report: Lombardy & {friends}",
        summary="How clusters implement S3.",
        report_type="StressTest report",
        deliverable="D.T1.2.1",
        licence="CC-BY-4.0",
        doi="10.5281/zenodo.42",
        tags=["clusters"],
        details={"authors": ["HES-SO//FR HEIA-FR", "Anteja ECG"]},
    )


def parse_bibtex(text: str) -> tuple[str, str, dict[str, str]]:
    """Entry type, key and fields of one BibTeX entry (one field a line)."""
    head = re.match(r"@(\w+)\{([^,]+),\n", text)
    assert head is not None, text
    fields = dict(re.findall(r"^  (\w+) = \{(.*)\},?$", text, re.M))
    assert text.rstrip().endswith("\n}")
    return head.group(1), head.group(2), fields


def parse_ris(text: str) -> list[tuple[str, str]]:
    """The tag/value lines of an RIS record."""
    lines = text.split("\r\n")
    assert lines[-1] == ""
    pairs = []
    for line in lines[:-1]:
        match = re.match(r"^([A-Z][A-Z0-9])  - ?(.*)$", line)
        assert match is not None, line
        pairs.append((match.group(1), match.group(2)))
    return pairs


def test_bibtex_download(client, report):
    response = client.get("/reports/stresstest-lombardia/cite.bib")
    assert response.status_code == 200
    assert response.mimetype == "application/x-bibtex"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="stresstest-lombardia.bib"'
    )
    kind, key, fields = parse_bibtex(response.get_data(as_text=True))
    assert (kind, key) == ("techreport", "stresstest-lombardia")
    assert fields["title"] == r"{StressTest report: Lombardy \& \{friends\}}"
    assert fields["author"] == "{HES-SO//FR HEIA-FR} and {Anteja ECG}"
    assert fields["institution"] == "Test Project"
    assert fields["year"] == str(report.published_at.year)
    assert fields["number"] == "D.T1.2.1"
    assert fields["type"] == "StressTest report"
    assert fields["doi"] == "10.5281/zenodo.42"
    assert fields["url"] == SITE_URL + "/reports/stresstest-lombardia/"
    assert fields["note"] == (
        "Funding: European Regional Development Fund, grant ASP 123"
    )


def test_ris_download(client, report):
    response = client.get("/reports/stresstest-lombardia/cite.ris")
    assert response.status_code == 200
    assert response.mimetype == "application/x-research-info-systems"
    assert "stresstest-lombardia.ris" in response.headers["Content-Disposition"]
    pairs = parse_ris(response.get_data(as_text=True))
    tags = dict(pairs)
    assert pairs[0] == ("TY", "RPRT")
    assert pairs[-1] == ("ER", "")
    assert tags["TI"] == "StressTest report: Lombardy & {friends}"
    assert [v for t, v in pairs if t == "AU"] == ["HES-SO//FR HEIA-FR", "Anteja ECG"]
    assert tags["PY"] == str(report.published_at.year)
    assert tags["UR"] == SITE_URL + "/reports/stresstest-lombardia/"
    assert tags["L1"] == SITE_URL + "/reports/stresstest-lombardia/files/report.pdf"
    assert tags["DO"] == "10.5281/zenodo.42"
    assert tags["PB"] == "Test Project"
    assert "ASP 123" in tags["N1"]


def test_csl_json_download(client, report):
    response = client.get("/reports/stresstest-lombardia/cite.json")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.citationstyles.csl+json"
    [entry] = json.loads(response.get_data(as_text=True))
    assert entry["type"] == "report"
    assert entry["title"] == "StressTest report: Lombardy & {friends}"
    assert entry["author"] == [
        {"literal": "HES-SO//FR HEIA-FR"},
        {"literal": "Anteja ECG"},
    ]
    published = report.published_at
    assert entry["issued"] == {
        "date-parts": [[published.year, published.month, published.day]]
    }
    assert entry["DOI"] == "10.5281/zenodo.42"
    assert entry["number"] == "D.T1.2.1"
    assert entry["publisher"] == "Test Project"
    assert "European Regional Development Fund" in entry["note"]


class Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, str]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and (a.get("name") or "").startswith("citation_"):
            self.tags.append((a["name"], a.get("content") or ""))
        if tag == "a" and "/cite." in (a.get("href") or ""):
            self.links.append(a["href"])


def test_report_page_has_highwire_tags_and_citation_links(client, report):
    meta = Meta()
    meta.feed(client.get("/reports/stresstest-lombardia/").get_data(as_text=True))
    tags = dict(meta.tags)
    assert tags["citation_title"] == "StressTest report: Lombardy & {friends}"
    assert [v for n, v in meta.tags if n == "citation_author"] == [
        "HES-SO//FR HEIA-FR",
        "Anteja ECG",
    ]
    assert tags["citation_publication_date"] == report.published_at.strftime("%Y/%m/%d")
    assert tags["citation_pdf_url"] == (
        SITE_URL + "/reports/stresstest-lombardia/files/report.pdf"
    )
    assert tags["citation_publisher"] == "Test Project"
    assert tags["citation_doi"] == "10.5281/zenodo.42"
    assert tags["citation_language"] == "en"
    assert tags["citation_technical_report_number"] == "D.T1.2.1"
    assert "ASP 123" in tags["citation_funding_source"]
    assert meta.links == [
        "/reports/stresstest-lombardia/cite.bib",
        "/reports/stresstest-lombardia/cite.ris",
        "/reports/stresstest-lombardia/cite.json",
    ]
    for link in meta.links:
        assert client.get(link).status_code == 200


def test_report_without_doi_or_authors_is_still_citable(client, session, store):
    make_report(session, store, slug="plain", author="Project team", title="Plain")
    meta = Meta()
    meta.feed(client.get("/reports/plain/").get_data(as_text=True))
    tags = dict(meta.tags)
    assert "citation_doi" not in tags
    assert tags["citation_author"] == "Project team"
    kind, _key, fields = parse_bibtex(
        client.get("/reports/plain/cite.bib").get_data(as_text=True)
    )
    assert "doi" not in fields
    assert fields["author"] == "{Project team}"


def test_only_public_reports_are_citable(client, session, store):
    make_report(session, store, slug="draft", status="draft")
    make_item(session, slug="pr")
    assert client.get("/reports/draft/cite.bib").status_code == 404
    assert client.get("/reports/pr/cite.bib").status_code == 404
    assert client.get("/reports/nothing/cite.ris").status_code == 404
    assert client.get("/reports/pr/cite.xml").status_code == 404
    meta = Meta()
    meta.feed(client.get("/press-releases/pr/").get_data(as_text=True))
    assert meta.tags == [] and meta.links == []


def test_a_citation_is_cached_no_longer_than_its_report_page(client, report):
    # An hour's cache kept an unpublished report's citation in proxies long after
    # its page and files answered 404.
    page = client.get("/reports/stresstest-lombardia/")
    for fmt in ("bib", "ris", "json"):
        response = client.get(f"/reports/stresstest-lombardia/cite.{fmt}")
        assert response.cache_control.max_age <= page.cache_control.max_age <= 60
