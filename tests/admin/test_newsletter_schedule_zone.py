"""A newsletter issue's send time is typed and shown in the site's time zone, as an
item's schedule is (here Zurich: UTC+1, +2 in summer), and stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.admin.test_newsletter_admin import (  # noqa: F401  (fixtures)
    _issue,
    _no_job_outlives_the_test,
    settings,
    smtp,
)
from tests.admin.test_newsletter_schedule import _issue_with_an_item, _schedule

ZURICH = ZoneInfo("Europe/Zurich")


@pytest.fixture
def content_dir(content_dir):  # type: ignore[no-untyped-def]
    """The test site, in Zurich's time zone."""
    site = content_dir / "site.yml"
    site.write_text(site.read_text() + "timezone: Europe/Zurich\n")
    return content_dir


def _in_zurich(delta: timedelta) -> tuple[str, datetime]:
    """A time ``delta`` from now as typed in Zurich, and the UTC moment it names."""
    moment = (datetime.now(UTC) + delta).replace(second=0, microsecond=0)
    return moment.astimezone(ZURICH).strftime("%Y-%m-%dT%H:%M"), moment


def test_a_send_time_is_typed_and_shown_in_the_sites_zone(editor_client, session):
    letter = _issue_with_an_item(editor_client, session)
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert "Send at (Europe/Zurich time)" in page
    typed, moment = _in_zurich(timedelta(days=2))
    response = _schedule(editor_client, letter, typed)
    assert response.status_code == 303
    letter = _issue(session)
    assert letter.send_at is not None
    stored = letter.send_at
    assert (stored if stored.tzinfo else stored.replace(tzinfo=UTC)) == moment
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert f"{typed.replace('T', ' ')} (Europe/Zurich time)" in page
    assert f"the issue goes out at {typed.replace('T', ' ')}" in page  # the flash


def test_a_past_time_is_refused_in_the_sites_zone(editor_client, session):
    letter = _issue_with_an_item(editor_client, session)
    typed, _moment = _in_zurich(timedelta(minutes=-5))
    response = _schedule(editor_client, letter, typed)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"Send at: {typed.replace('T', ' ')} has passed" in page
    assert "(Europe/Zurich time)" in page
    assert _issue(session).send_at is None
