"""A send killed with SIGKILL mid-run and run again: everyone reached, one repeat."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from sqlalchemy import select

from comms.newsletter.models import Delivery, Subscriber
from tests.conftest import REPO
from tests.newsletter.helpers import make_issue, make_subscribers

COUNT = 40


def _command(settings, smtp) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "COMMS_DATABASE_URL": settings.database_url,
        "COMMS_SECRET_KEY": settings.secret_key,
        "COMMS_INSTANCE_PATH": str(settings.instance_path),
        "COMMS_CONTENT_DIR": str(settings.content_dir),
        "COMMS_SITE_URL": settings.site_url,
        "COMMS_SMTP_URL": smtp.url,
        "COMMS_MAIL_FROM": settings.mail_from,
        "COMMS_MAIL_RATE": "1000",
    }
    return [sys.executable, "-m", "comms", "newsletter", "send", "issue-1"], env


def test_killed_send_resumes_reaching_everyone_repeating_at_most_one(
    app, settings, session, smtp
):
    make_issue(session)
    emails = make_subscribers(session, COUNT)
    smtp.recorder.delay = 0.05  # a slow server: the kill lands mid-run
    args, env = _command(settings, smtp)
    with subprocess.Popen(
        args, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        deadline = time.monotonic() + 30
        while smtp.recorder.count() < COUNT // 3 and time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()
            time.sleep(0.005)
        time.sleep(0.02)  # mid-way through the next message's 50 ms
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    time.sleep(0.1)  # let the server finish a message already in its hands
    received_at_kill = smtp.recorder.count()
    assert COUNT // 3 <= received_at_kill < COUNT

    smtp.recorder.delay = 0
    rerun = subprocess.run(
        args, env=env, cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert rerun.returncode == 0, rerun.stderr
    copies = Counter(r for m in smtp.recorder.messages for r in m.rcpt_tos)
    assert all(copies[e] >= 1 for e in emails), "a subscriber was missed"
    twice = [e for e in emails if copies[e] > 1]
    assert len(twice) <= 1 and max(copies.values()) <= 2
    statuses = session.scalars(select(Delivery.status)).all()
    assert statuses == ["sent"] * COUNT
    if twice:  # the message in flight at the kill went again, and the run says so
        assert "1 resent after an interrupted run" in rerun.stdout
        attempts = session.scalar(
            select(Delivery.attempts)
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Subscriber.email == twice[0])
        )
        assert attempts == 2
