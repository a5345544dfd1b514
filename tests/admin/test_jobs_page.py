"""The Jobs page lists failed jobs with their error, behind the login."""

from __future__ import annotations

from comms.jobs.queue import submit, wait_idle
from comms.jobs.service import NewJob


def test_the_jobs_page_lists_a_failed_job_with_its_error(app, editor_client, session):
    # An issue that does not exist: the send job fails and says why.
    submit(
        app, session, NewJob("newsletter-send", {"issue_id": 999}, "Send newsletter x")
    )
    assert wait_idle(app, 30)
    page = editor_client.get("/admin/jobs/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Send newsletter x" in text
    assert "the issue was deleted" in text
    assert app.test_client().get("/admin/jobs/").status_code == 303
