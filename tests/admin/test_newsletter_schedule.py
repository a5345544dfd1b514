"""Scheduling a newsletter issue's send from its admin page: checks, display, cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from comms.admin.models import AuditEntry
from comms.jobs.models import Job
from tests.admin.helpers import post
from tests.admin.test_newsletter_admin import (  # noqa: F401  (fixtures)
    _catalogue,
    _issue,
    _new_issue,
    _no_job_outlives_the_test,
    settings,
    smtp,
)


def _at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M")


def _schedule(editor_client, letter, when: str):  # type: ignore[no-untyped-def]
    """Ask for the issue to go out at ``when``, as its page's form does."""
    return post(
        editor_client, f"/admin/newsletters/{letter.id}/schedule",
        {"action": "schedule", "send_at": when},
    )  # fmt: skip


def _issue_with_an_item(editor_client, session):  # type: ignore[no-untyped-def]
    items = _catalogue(session)
    response = _new_issue(editor_client, {f"press_release:{items['new'].slug}": 1})
    assert response.status_code == 303
    return _issue(session)


def test_a_scheduled_issue_shows_its_time_and_the_schedule_can_be_cancelled(
    editor_client, session
):
    letter = _issue_with_an_item(editor_client, session)
    when = _at(timedelta(days=2))
    response = _schedule(editor_client, letter, when)
    assert response.status_code == 303
    letter = _issue(session)
    assert letter.send_at is not None
    assert letter.send_at.strftime("%Y-%m-%dT%H:%M") == when
    assert letter.status == "draft"  # public only when it goes out
    job = session.scalars(select(Job).where(Job.kind == "newsletter-send")).one()
    assert (job.state, job.run_after) == ("queued", letter.send_at)
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert "Scheduled:" in page and when.replace("T", " ") + " (UTC time)" in page
    assert "Cancel the schedule" in page
    assert "Sending now." not in page and "confirmed subscribers</button>" in page

    response = post(
        editor_client, f"/admin/newsletters/{letter.id}/schedule", {"action": "cancel"}
    )
    assert response.status_code == 303
    assert _issue(session).send_at is None
    session.expire_all()
    assert session.scalars(select(Job)).all() == []
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "newsletter")
    ).all()
    assert actions == ["create", "schedule", "unschedule"]
    page = editor_client.get(f"/admin/newsletters/{letter.id}/").get_data(as_text=True)
    assert "Schedule the send" in page


def test_a_past_time_an_unreadable_one_or_an_empty_issue_is_refused(
    editor_client, session
):
    _new_issue(editor_client, {}, slug="empty", number="9")
    empty = _issue(session, "empty")
    letter = _issue_with_an_item(editor_client, session)
    cases = [
        (letter, _at(timedelta(minutes=-5)), "has passed"),
        (letter, "next tuesday", "give a date and time"),
        (letter, "", "give a date and time"),
        (empty, _at(timedelta(days=1)), "carries no items"),
    ]
    for issue, when, message in cases:
        response = _schedule(editor_client, issue, when)
        assert response.status_code == 422, when
        assert message in response.get_data(as_text=True)
    session.expire_all()
    assert [_issue(session).send_at, _issue(session, "empty").send_at] == [None, None]
    assert session.scalars(select(Job)).all() == []
