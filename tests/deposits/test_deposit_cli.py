"""`comms zenodo deposit`: a report's record, its DOI, versions and every failure."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from comms.catalogue.models import Item, ReportFile
from comms.deposits.models import ReportDeposit
from tests.deposits.conftest import deposit
from tests.deposits.fake_invenio import FakeInvenio
from tests.factories import make_pdf, make_report

FIELD_ERRORS = [
    {
        "field": "metadata.creators.0.person_or_org.family_name",
        "messages": ["Missing data for required field."],
    },
    {"field": "metadata.rights.0.id", "messages": ["Invalid value: cc-by-9.9."]},
]


def add_report(app: Any, slug: str = "stresstest", **fields: Any) -> bytes:
    """A public report with one PDF; returns the PDF's bytes."""
    state = app.extensions["comms"]
    data = make_pdf(f"Report {slug}")
    fields.setdefault("title", "StressTest report, Lombardy")
    fields.setdefault("summary", "How the region's clusters <b>fare</b>.")
    fields.setdefault("details", {"authors": ["HES-SO//FR", "Rossi, Maria"]})
    fields.setdefault("licence", "CC-BY-4.0")
    fields.setdefault("tags", ["clusters", "smart-specialisation"])
    with state.sessionmaker() as session:
        make_report(session, state.store, slug=slug, data=data, **fields)
    return data


def replace_file(app: Any, slug: str, data: bytes) -> None:
    """Give the report a changed PDF (what an officer's new upload does)."""
    state = app.extensions["comms"]
    with state.sessionmaker() as session:
        item = session.scalar(select(Item).where(Item.slug == slug))
        assert item is not None
        file = item.files[0]
        file.sha256 = state.store.put(data)
        file.size = len(data)
        session.commit()


def catalogue(app: Any) -> list[dict[str, Any]]:
    """Every item and file row, to compare before and after a failure."""
    with app.extensions["comms"].sessionmaker() as session:
        items = [
            {c.key: getattr(i, c.key) for c in Item.__table__.columns}  # type: ignore[attr-defined]
            for i in session.scalars(select(Item).order_by(Item.id))
        ]
        files = [(f.filename, f.sha256) for f in session.scalars(select(ReportFile))]
    return [*items, {"files": files}]


def row(app: Any, slug: str = "stresstest") -> ReportDeposit:
    """The report's deposit row."""
    with app.extensions["comms"].sessionmaker() as session:
        found = session.scalar(
            select(ReportDeposit).join(Item).where(Item.slug == slug)
        )
        assert found is not None
        session.expunge(found)
        return found


def doi_of(app: Any, slug: str = "stresstest") -> str | None:
    """The DOI the catalogue shows for a report."""
    with app.extensions["comms"].sessionmaker() as session:
        return session.scalar(select(Item.doi).where(Item.slug == slug))


def test_deposit_sends_metadata_and_pdf_then_publishes_after_confirmation(
    zapp, repo: FakeInvenio
):
    data = add_report(zapp)
    result = deposit(zapp, "stresstest", answer="y\n")
    assert result.exit_code == 0, result.output
    assert "title: StressTest report, Lombardy" in result.output
    assert "file: report.pdf" in result.output
    [record] = repo.published()
    meta = record["metadata"]
    assert meta["resource_type"] == {"id": "publication-report"}
    assert meta["title"] == "StressTest report, Lombardy"
    assert meta["creators"] == [
        {"person_or_org": {"type": "organizational", "name": "HES-SO//FR"}},
        {
            "person_or_org": {
                "type": "personal",
                "family_name": "Rossi",
                "given_name": "Maria",
            }
        },
    ]
    assert (
        meta["description"]
        == "<p>How the region&#39;s clusters &lt;b&gt;fare&lt;/b&gt;.</p>"
    )
    assert meta["rights"] == [{"id": "cc-by-4.0"}]
    assert meta["subjects"] == [
        {"subject": "clusters"},
        {"subject": "smart-specialisation"},
    ]
    assert meta["languages"] == [{"id": "eng"}]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", meta["publication_date"])
    assert meta["funding"] == [
        {
            "funder": {"name": "European Regional Development Fund"},
            "award": {"number": "ASP 123", "title": {"en": "Test Project"}},
        }
    ]
    assert record["access"] == {"record": "public", "files": "public"}
    [rec] = [r for r in repo.records.values() if r.published]
    assert rec.files["report.pdf"]["data"] == data
    stored = row(zapp)
    assert stored.state == "published"
    assert stored.doi == f"10.5072/zenodo.{rec.id}"
    assert stored.record_url == f"{repo.url}/records/{rec.id}"
    assert doi_of(zapp) == stored.doi
    assert f"published, DOI {stored.doi}" in result.output


def test_without_confirmation_the_draft_waits_and_no_doi_is_shown(
    zapp, repo: FakeInvenio
):
    add_report(zapp)
    result = deposit(zapp, "stresstest", answer="n\n")
    assert result.exit_code == 0, result.output
    assert "not published" in result.output
    assert repo.published() == []
    assert row(zapp).state == "uploaded"
    assert doi_of(zapp) is None
    again = deposit(zapp, "stresstest", "--yes")
    assert again.exit_code == 0, again.output
    assert repo.calls["create"] == 1  # the same draft, published
    assert repo.uploads["report.pdf"] == 1  # its file was not sent twice
    assert len(repo.published()) == 1
    assert doi_of(zapp) == row(zapp).doi


def test_without_a_token_the_deposit_says_what_is_missing(app, repo: FakeInvenio):
    add_report(app)
    result = deposit(app, "stresstest", "--yes")
    assert result.exit_code == 1
    assert "COMMS_ZENODO_TOKEN is not set" in result.output
    assert sum(repo.calls.values()) == 0


@pytest.mark.parametrize("status", ["401", "403"])
def test_a_refused_token_is_one_line_and_changes_nothing(
    zapp, repo: FakeInvenio, status: str
):
    add_report(zapp)
    before = catalogue(zapp)
    repo.fail(status)
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {repo.url} refused the token (HTTP {status}): check "
        "COMMS_ZENODO_TOKEN and its deposit:write and deposit:actions scopes"
    ]
    assert catalogue(zapp) == before
    assert row(zapp).state == "failed"
    assert "refused the token" in (row(zapp).last_error or "")


def test_validation_errors_are_shown_field_by_field(zapp, repo: FakeInvenio):
    add_report(zapp)
    before = catalogue(zapp)
    repo.fail("validation", on="update", errors=FIELD_ERRORS)
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == [
        "metadata.creators.0.person_or_org.family_name: "
        "Missing data for required field.",
        "metadata.rights.0.id: Invalid value: cc-by-9.9.",
        "Error: the repository refused the metadata (2 problems above): "
        "nothing published",
    ]
    assert repo.published() == []
    assert catalogue(zapp) == before
    assert "metadata.rights.0.id" in (row(zapp).last_error or "")


def test_server_errors_are_retried_and_the_deposit_goes_through(
    zapp, repo: FakeInvenio
):
    add_report(zapp)
    repo.fail("503", on="create", times=2)
    repo.fail("503", on="publish", times=3)
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 0, result.output
    assert repo.calls["create"] == 3  # two 503s, then the draft
    assert len(repo.records) == 1
    assert len(repo.published()) == 1


def test_a_repository_that_keeps_failing_is_reported_and_resumable(
    zapp, repo: FakeInvenio
):
    add_report(zapp)
    before = catalogue(zapp)
    repo.fail("503", on="publish")
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 1
    assert "kept failing (HTTP 503 to POST" in result.output
    assert repo.calls["publish"] == 4  # the first try and 3 retries
    assert catalogue(zapp) == before
    repo.heal()
    again = deposit(zapp, "stresstest", "--yes")
    assert again.exit_code == 0, again.output
    assert repo.calls["create"] == 1
    assert len(repo.published()) == 1


def test_a_deposit_cut_off_during_the_upload_resumes_the_same_draft(
    zapp, repo: FakeInvenio
):
    add_report(zapp)
    before = catalogue(zapp)
    repo.fail("drop", on="content")  # the draft exists; every upload is cut off
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 1
    assert "did not answer PUT" in result.output
    assert "can be resumed" in result.output
    assert catalogue(zapp) == before
    stored = row(zapp)
    assert stored.state == "failed" and stored.record_id is not None
    [draft] = repo.records.values()
    assert draft.files["report.pdf"]["status"] == "pending"
    repo.heal()
    again = deposit(zapp, "stresstest", "--yes")
    assert again.exit_code == 0, again.output
    assert repo.calls["create"] == 1  # no second record
    assert list(repo.records) == [stored.record_id]
    assert len(repo.published()) == 1


def test_a_publication_whose_answer_was_lost_is_recognised(zapp, repo: FakeInvenio):
    add_report(zapp)
    repo.fail("lost_answer", on="publish", times=1)
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 0, result.output
    assert repo.calls["publish"] == 1
    assert row(zapp).state == "published"
    assert doi_of(zapp) == row(zapp).doi


def test_a_changed_file_becomes_a_new_version_of_the_same_record(
    zapp, repo: FakeInvenio
):
    add_report(zapp)
    assert deposit(zapp, "stresstest", "--yes").exit_code == 0
    first = row(zapp)
    unchanged = deposit(zapp, "stresstest", "--yes")
    assert unchanged.exit_code == 0
    assert "files unchanged" in unchanged.output
    assert repo.calls["versions"] == 0
    new_pdf = make_pdf("Corrected report", pages=2)
    replace_file(zapp, "stresstest", new_pdf)
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 0, result.output
    assert "new version of record" in result.output
    assert repo.calls["create"] == 1 and repo.calls["versions"] == 1
    old, new = (r for r in repo.records.values())
    assert old.parent == new.parent  # one record, two versions
    assert new.files["report.pdf"]["data"] == new_pdf
    second = row(zapp)
    assert second.version_count == 2
    assert second.doi != first.doi and second.doi == f"10.5072/zenodo.{new.id}"
    assert [v["doi"] for v in second.versions] == [first.doi, second.doi]
    assert doi_of(zapp) == second.doi


def test_the_community_is_asked_to_include_the_record(zapp, repo, zsettings):
    from dataclasses import replace

    from comms import create_app

    app = create_app(replace(zsettings, zenodo_community="alpine-clusters"))
    add_report(app)
    result = deposit(app, "stresstest", "--yes")
    assert result.exit_code == 0, result.output
    assert "community: alpine-clusters" in result.output
    [rec] = repo.records.values()
    assert repo.community_requests == [(rec.id, "alpine-clusters")]
    app.extensions["comms"].engine.dispose()


def test_a_report_not_yet_public_is_refused(zapp, repo: FakeInvenio):
    add_report(zapp, status="draft")
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 1
    assert "not public on the site yet" in result.output
    assert sum(repo.calls.values()) == 0


def test_status_lists_each_deposit(zapp, repo: FakeInvenio):
    add_report(zapp)
    deposit(zapp, "stresstest", "--yes")
    result = zapp.test_cli_runner().invoke(args=["zenodo", "status"])
    assert result.exit_code == 0
    assert result.output.startswith(f"stresstest (en): published, DOI {row(zapp).doi}")


def test_the_doi_shows_on_the_page_citations_json_ld_and_api(zapp, repo: FakeInvenio):
    add_report(zapp)
    assert deposit(zapp, "stresstest", "--yes").exit_code == 0
    doi = row(zapp).doi
    assert doi
    client = zapp.test_client()
    page = client.get("/reports/stresstest/").get_data(as_text=True)
    assert f'<a href="https://doi.org/{doi}">{doi}</a>' in page
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.S
    )
    report_ld = [json.loads(b) for b in blocks if doi in b]
    assert report_ld and report_ld[0]["sameAs"] == f"https://doi.org/{doi}"
    bib = client.get("/reports/stresstest/cite.bib").get_data(as_text=True)
    assert f"doi = {{{doi}}}" in bib
    ris = client.get("/reports/stresstest/cite.ris").get_data(as_text=True)
    assert f"DO  - {doi}" in ris
    csl = client.get("/reports/stresstest/cite.json").get_json()
    assert csl[0]["DOI"] == doi
    api = client.get("/api/v1/items/reports/stresstest").get_json()
    assert api["doi"] == doi


def test_a_lost_publication_found_on_the_next_run_gets_its_doi(zapp, repo: FakeInvenio):
    add_report(zapp)
    repo.fail("lost_answer", on="publish", times=1)
    repo.fail("drop", on="get_record")  # and the check that follows fails too
    result = deposit(zapp, "stresstest", "--yes")
    assert result.exit_code == 1
    assert row(zapp).state == "failed"
    assert doi_of(zapp) is None
    assert len(repo.published()) == 1  # published, though we could not tell
    repo.heal()
    again = deposit(zapp, "stresstest", "--yes")
    assert again.exit_code == 0, again.output
    assert "the earlier publication was completed" in again.output
    assert repo.calls["publish"] == 1 and repo.calls["create"] == 1
    assert row(zapp).state == "published"
    assert doi_of(zapp) == row(zapp).doi == f"10.5072/zenodo.{row(zapp).record_id}"
