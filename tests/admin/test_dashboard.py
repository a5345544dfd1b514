"""The dashboard at a glance: counts, drafts, schedule, activity, subscribers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from comms.newsletter.models import Delivery, Subscriber
from tests.admin.helpers import post
from tests.factories import make_item
from tests.newsletter.helpers import make_issue, make_subscribers


@pytest.fixture
def content_dir(content_dir: Path) -> Path:
    """The test site, in Zurich's time zone."""
    site = content_dir / "site.yml"
    site.write_text(site.read_text() + "timezone: Europe/Zurich\n")
    return content_dir


def _stat(html: str, label: str) -> int:
    found = re.search(
        rf'stat-value">(\d+)</span> <span class="stat-label">{label}', html
    )
    assert found, label
    return int(found.group(1))


def test_dashboard_counts_items_by_status_and_subscribers(editor_client, session):
    make_item(session, title="Out now")
    make_item(
        session, title="Coming", published_at=datetime(2031, 1, 15, 8, tzinfo=UTC)
    )
    make_item(session, title="Half written", status="draft", published_at=None)
    make_item(session, title="Old", status="archived")
    make_subscribers(session, 3)
    html = editor_client.get("/admin/").get_data(as_text=True)
    counts = {s: _stat(html, s) for s in ("drafts", "scheduled", "published")}
    assert counts == {"drafts": 1, "scheduled": 1, "published": 1}
    assert _stat(html, "archived") == 1 and _stat(html, "subscribers") == 3
    assert "Half written" in html  # a draft to finish
    # scheduled at 08:00 UTC in January: 09:00 in Zurich, named as such
    assert "15 January 2031, 09:00 Central European Standard Time" in html


def test_dashboard_offers_a_new_item_of_each_kind_officers_write(editor_client):
    html = editor_client.get("/admin/").get_data(as_text=True)
    for plural in ("press-releases", "reports", "events"):
        assert 'class="button' in html and f'href="/admin/items/new/{plural}"' in html
    assert 'href="/admin/items/new/videos"' not in html  # videos come from the sync


def test_dashboard_shows_recent_activity(editor_client, session):
    item = make_item(session, title="Freshly archived")
    post(
        editor_client, "/admin/items/bulk", {"action": "archive", "ids": [str(item.id)]}
    )
    html = editor_client.get("/admin/").get_data(as_text=True)
    recent = html.split('id="recent-h"', 1)[1].split("</section>", 1)[0]
    assert "archive:" in recent and "editor@example.org" in recent
    assert f'href="/admin/items/{item.id}/"' in recent


def test_dashboard_names_an_issues_deliveries_as_its_delivery_report(
    editor_client, session
):
    letter = make_issue(session)
    emails = make_subscribers(session, 3)
    people = session.scalars(select(Subscriber).where(Subscriber.email.in_(emails)))
    for person, status, code in zip(
        people, ("sent", "failed", "unmatched"), (250, 550, None), strict=True
    ):
        session.add(
            Delivery(
                issue=letter.translation,
                subscriber_id=person.id,
                status=status,
                smtp_code=code,
            )
        )
    session.commit()
    html = editor_client.get("/admin/").get_data(as_text=True)
    assert "1 bounced · 1 sent · 1 skipped: nothing matching" in html
    assert "unmatched" not in html
