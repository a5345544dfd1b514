"""Jobs on a real `comms worker` subprocess: a send survives kill -9 of its worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from comms.config import Settings
from comms.jobs.models import Job
from tests.admin.helpers import post
from tests.admin.test_newsletter_admin import _issue, _new_issue
from tests.factories import make_item
from tests.feeds import test_websub
from tests.feeds.test_websub import Hub
from tests.newsletter.conftest import MAIL_FROM
from tests.newsletter.helpers import make_subscribers
from tests.newsletter.smtp import SmtpServer
from tests.redis_server import reachable_redis

pytestmark = pytest.mark.slow
READERS = 12
RATE = 4.0  # messages a second: the send takes about 3 s, so a kill lands mid-send
WAIT = 60.0

hub = test_websub.hub  # the WebSub hub stand-in (a fixture)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def jobs_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The queue: the default SQLite file, or Redis (as several hosts would share)."""
    if request.param == "sqlite-queue":
        return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    return reachable_redis(
        os.environ.get("COMMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    )


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer, jobs_url: str, hub: Hub) -> Settings:
    return replace(
        settings, smtp_url=smtp.url, mail_from=MAIL_FROM, mail_rate=RATE,
        jobs_url=jobs_url, jobs_stale_seconds=2.0, websub_hub=hub.url,
    )  # fmt: skip


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "COMMS_DATABASE_URL": settings.database_url,
        "COMMS_INSTANCE_PATH": str(settings.instance_path),
        "COMMS_CONTENT_DIR": str(settings.content_dir),
        "COMMS_MEDIA_DIR": str(settings.resolved_media_dir),
        "COMMS_SECRET_KEY": settings.secret_key,
        "COMMS_SMTP_URL": settings.smtp_url or "",
        "COMMS_MAIL_FROM": settings.mail_from or "",
        "COMMS_MAIL_RATE": str(settings.mail_rate),
        "COMMS_JOBS_URL": settings.jobs_url,
        "COMMS_JOBS_STALE_SECONDS": str(settings.jobs_stale_seconds),
        "COMMS_WEBSUB_HUB": settings.websub_hub or "",
        "COMMS_SITE_URL": settings.site_url,
        "COMMS_VIDEO_SYNC_MINUTES": "0",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }


@pytest.fixture
def worker(settings: Settings) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start `comms worker` processes on demand; every one is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_worker(settings: Settings, started: list[subprocess.Popen[bytes]]) -> None:
    """Run one more `comms worker` with these settings (environment variables)."""
    started.append(
        subprocess.Popen(
            [sys.executable, "-m", "comms", "worker"],
            env=_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
    )


def wait_until(check, timeout: float = WAIT) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s")
        time.sleep(0.1)


def _send_job(session) -> Job:  # type: ignore[no-untyped-def]
    return session.scalars(select(Job).where(Job.kind == "newsletter-send")).one()


def test_a_send_survives_kill_9_of_its_worker(
    settings, editor_client, session, smtp, worker
):
    _new_issue(editor_client, {})
    letter = _issue(session)
    emails = make_subscribers(session, READERS)
    response = post(
        editor_client, f"/admin/newsletters/{letter.id}/send", {"confirm": "1"}
    )
    assert response.status_code == 303
    start_worker(settings, worker)
    wait_until(lambda: smtp.recorder.count() >= 3)
    worker[0].send_signal(signal.SIGKILL)
    worker[0].wait()
    at_kill = smtp.recorder.count()
    assert at_kill < READERS, "the send ended before the kill: throttle it more"
    page = editor_client.get("/admin/jobs/").get_data(as_text=True)
    assert "Send newsletter issue-1" in page

    start_worker(settings, worker)  # no officer action: the worker resumes the job
    wait_until(lambda: len({m.rcpt_tos[0] for m in smtp.recorder.messages}) == READERS)

    def finished() -> bool:
        session.expire_all()
        return _send_job(session).state in ("done", "failed")

    wait_until(finished)
    received = [len(smtp.recorder.to(email)) for email in emails]
    assert min(received) == 1, "a subscriber was missed"
    assert max(received) <= 2 and sum(received) - READERS <= 1, (
        "more than the message in flight repeated"
    )
    job = _send_job(session)
    assert (job.state, job.error) == ("done", "")
    assert job.attempts == 2  # the killed run and the resumed one, nothing else
    assert job.done == job.total
    assert session.scalars(select(Job).where(Job.state == "failed")).all() == []


def test_a_scheduled_issue_is_sent_at_its_time_by_a_running_worker(
    settings, editor_client, session, smtp, worker
):
    from datetime import UTC, datetime, timedelta

    from tests.admin.test_newsletter_schedule import _issue_with_an_item

    letter = _issue_with_an_item(editor_client, session)
    emails = make_subscribers(session, READERS)
    start_worker(settings, worker)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    response = post(
        editor_client, f"/admin/newsletters/{letter.id}/schedule",
        {"action": "schedule", "send_at": when.strftime("%Y-%m-%dT%H:%M:%S")},
    )  # fmt: skip
    assert response.status_code == 303
    time.sleep(max((when - datetime.now(UTC)).total_seconds() - 1, 0))
    assert smtp.recorder.count() == 0, "sent before its time"

    def finished() -> bool:
        session.expire_all()
        return _send_job(session).state in ("done", "failed")

    wait_until(finished)
    job = _send_job(session)
    assert (job.state, job.error) == ("done", "")
    received = [len(smtp.recorder.to(email)) for email in emails]
    assert received == [1] * READERS
    session.expire_all()
    sent = _issue(session)
    assert sent.status == "published" and sent.published_at is not None
    assert sent.published_at >= when


def test_a_scheduled_item_is_pinged_and_snapshotted_when_it_comes_due(
    settings, editor_client, session, worker, hub
):
    from datetime import UTC, datetime, timedelta

    from comms.kpi.models import PageSnapshot

    item = make_item(session, status="draft", published_at=None, tags=["Clusters"])
    start_worker(settings, worker)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=4)
    response = post(
        editor_client, f"/admin/items/{item.id}/status",
        {"action": "schedule", "published_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )  # fmt: skip
    assert response.status_code == 303
    time.sleep(max((when - datetime.now(UTC)).total_seconds() - 1, 0))
    assert hub.pings == [], "announced before its time"

    def snapshots() -> list[PageSnapshot]:
        session.expire_all()
        return list(session.scalars(select(PageSnapshot)))

    site = settings.site_url
    wait_until(lambda: len(hub.topics()) >= 9 and len(snapshots()) == 1)
    assert set(hub.topics()) == {
        f"{site}{path}/feed.{fmt}"
        for path in ("", "/press-releases", "/tags/Clusters")
        for fmt in ("xml", "atom", "json")
    }
    [shot] = snapshots()
    assert shot.item_id == item.id and shot.taken_at >= when
    assert session.scalars(select(Job).where(Job.state != "done")).all() == []
