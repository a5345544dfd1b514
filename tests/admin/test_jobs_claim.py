"""A job is claimed once: a late heartbeat never hands a live send to a second run."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from comms.jobs import queue, service
from comms.jobs.models import Job
from comms.newsletter import dispatch
from tests.admin import test_newsletter_admin
from tests.newsletter.helpers import make_issue, make_subscribers

settings, smtp = test_newsletter_admin.settings, test_newsletter_admin.smtp  # fixtures


def test_a_silent_send_whose_lock_is_held_is_left_to_its_worker(app, session, smtp):
    letter = make_issue(session)
    emails = make_subscribers(session, 3)
    now = datetime.now(UTC)
    job = service.create(
        session, service.NewJob("newsletter-send", {"issue_id": letter.id}, "Send"),
        now=now,
    )  # fmt: skip
    assert job is not None
    # As a live worker leaves it while a long write kept its heartbeat back.
    job.state, job.attempts = "running", 1
    job.heartbeat_at = now - timedelta(hours=1)
    session.commit()
    state = app.extensions["comms"]
    lock = dispatch.lock_issue(
        state.engine, letter.translation, state.settings.instance_path
    )
    try:
        queue.run_job(app, job.id)  # a second worker gets the message again
    finally:
        lock.release()
    session.expire_all()
    job = session.get(Job, job.id)
    assert (job.state, job.attempts, job.error) == ("running", 1, "")
    assert smtp.recorder.count() == 0

    # Its worker died (the lock went with it): the next delivery resumes the job.
    queue.run_job(app, job.id)
    session.expire_all()
    job = session.get(Job, job.id)
    assert (job.state, job.attempts, job.error) == ("done", 2, "")
    assert [len(smtp.recorder.to(e)) for e in emails] == [1, 1, 1]


def test_a_queued_send_meeting_a_held_lock_runs_once_it_is_free(
    app, session, smtp, monkeypatch
):
    monkeypatch.setattr(queue, "BUSY_RETRY_SECONDS", 0.5)
    letter = make_issue(session)
    emails = make_subscribers(session, 2)
    state = app.extensions["comms"]
    lock = dispatch.lock_issue(
        state.engine, letter.translation, state.settings.instance_path
    )  # as `comms newsletter send` (or a page checking the lock) holds it
    try:
        job = queue.submit(
            app, session,
            service.NewJob("newsletter-send", {"issue_id": letter.id}, "Send"),
        )  # fmt: skip
        assert job is not None
        time.sleep(1.0)
        session.expire_all()
        assert (session.get(Job, job.id).state, smtp.recorder.count()) == ("queued", 0)
    finally:
        lock.release()
    assert queue.wait_idle(app, 30)
    session.expire_all()
    finished = session.get(Job, job.id)
    assert (finished.state, finished.attempts) == ("done", 1)
    assert [len(smtp.recorder.to(e)) for e in emails] == [1, 1]
