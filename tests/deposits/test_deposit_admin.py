"""The deposit panel of a report's admin page: state, DOI, deposit and publish."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select

from comms.admin.models import AuditEntry
from comms.catalogue.models import Item
from tests.admin.helpers import TOKEN, log_in_as, make_user, post
from tests.deposits.fake_invenio import FakeInvenio
from tests.deposits.test_deposit_cli import FIELD_ERRORS, add_report, catalogue, row


def officer(app: Any) -> Any:
    """A client logged in as an editor."""
    with app.extensions["comms"].sessionmaker() as session:
        user = make_user(session, "editor@example.org")
    client = app.test_client()
    log_in_as(client, user)
    return client


def report_id(app: Any, slug: str = "stresstest") -> int:
    """The report's item id."""
    with app.extensions["comms"].sessionmaker() as session:
        found = session.scalar(select(Item.id).where(Item.slug == slug))
        assert found is not None
        return found


def page(client: Any, item_id: int) -> str:
    """The report's admin page, unescaped."""
    response = client.get(f"/admin/items/{item_id}/")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_page_shows_what_a_deposit_sends_before_any_deposit(zapp, repo):
    add_report(zapp)
    client = officer(zapp)
    text = page(client, report_id(zapp))
    assert "Not deposited yet." in text
    assert "StressTest report, Lombardy" in text
    assert "HES-SO//FR; Rossi, Maria" in text
    assert "cc-by-4.0" in text
    assert "European Regional Development Fund, grant ASP 123" in text
    assert "report.pdf (" in text
    assert "Publish in the repository" not in text
    assert sum(repo.calls.values()) == 0


def test_deposit_then_confirmed_publish_shows_the_doi_and_record(
    zapp, repo: FakeInvenio
):
    add_report(zapp)
    client = officer(zapp)
    item_id = report_id(zapp)
    response = post(client, f"/admin/items/{item_id}/deposit")
    assert response.status_code == 303
    text = page(client, item_id)
    assert "Draft ready in the repository" in text
    assert 'class="deposit-uploaded">uploaded' in text
    assert "Publish in the repository" in text
    assert repo.published() == []
    unconfirmed = post(client, f"/admin/items/{item_id}/deposit/publish")
    assert unconfirmed.status_code == 422
    assert "tick the box" in unconfirmed.get_data(as_text=True)
    assert repo.published() == []
    response = post(
        client, f"/admin/items/{item_id}/deposit/publish", {"confirm": "publish"}
    )
    assert response.status_code == 303
    doi = row(zapp).doi
    assert doi
    text = page(client, item_id)
    assert f"Published in the repository with DOI {doi}." in text
    assert f'<a href="https://doi.org/{doi}">{doi}</a>' in text
    assert f'<a href="{row(zapp).record_url}">' in text
    assert len(repo.published()) == 1
    with zapp.extensions["comms"].sessionmaker() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "deposit"))
        assert entry is not None
        assert (entry.user_email, entry.before, entry.after) == (
            "editor@example.org",
            {"doi": None},
            {"doi": doi},
        )


def test_a_refused_token_is_said_on_the_page(zapp, repo: FakeInvenio):
    add_report(zapp)
    before = catalogue(zapp)
    client = officer(zapp)
    repo.fail("401")
    response = post(client, f"/admin/items/{report_id(zapp)}/deposit")
    assert response.status_code == 502
    text = html.unescape(response.get_data(as_text=True))
    assert "refused the token (HTTP 401)" in text
    assert 'class="deposit-failed">failed' in text
    assert catalogue(zapp) == before


def test_validation_errors_are_listed_field_by_field_on_the_page(
    zapp, repo: FakeInvenio
):
    add_report(zapp)
    client = officer(zapp)
    repo.fail("validation", on="update", errors=FIELD_ERRORS)
    response = post(client, f"/admin/items/{report_id(zapp)}/deposit")
    assert response.status_code == 422
    text = html.unescape(response.get_data(as_text=True))
    assert (
        "<li>metadata.creators.0.person_or_org.family_name: "
        "Missing data for required field.</li>" in text
    )
    assert "<li>metadata.rights.0.id: Invalid value: cc-by-9.9.</li>" in text


def test_without_a_token_the_page_says_what_is_missing(app, repo: FakeInvenio):
    add_report(app)
    client = officer(app)
    item_id = report_id(app)
    assert "COMMS_ZENODO_TOKEN" in page(client, item_id)
    response = post(client, f"/admin/items/{item_id}/deposit")
    assert response.status_code == 422
    assert "COMMS_ZENODO_TOKEN is not set" in response.get_data(as_text=True)
    assert sum(repo.calls.values()) == 0


def test_deposit_buttons_need_the_csrf_token(zapp, repo: FakeInvenio):
    add_report(zapp)
    client = officer(zapp)
    item_id = report_id(zapp)
    for path in ("deposit", "deposit/publish"):
        response = client.post(
            f"/admin/items/{item_id}/{path}", data={"csrf_token": TOKEN + "x"}
        )
        assert response.status_code in (400, 403)
    assert sum(repo.calls.values()) == 0
