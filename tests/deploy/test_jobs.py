"""Durable jobs as deployed: the installed `comms worker` beside gunicorn behind nginx.

Every action goes through nginx as an officer's browser would (login, CSRF token
from the page, the form's buttons); mail is counted on a real SMTP server and
WebSub pings on a hub stand-in, both on loopback; rows are read from the
deployment's own database file. No command is run by hand once the site runs,
except the CSV import of the subscribers.
"""

from __future__ import annotations

import re
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.deploy.browser import Browser
from tests.deploy.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Deployment

pytestmark = pytest.mark.slow
READERS = 30
KILLED_RATE = "4"  # messages a second for the worker killed mid-send: ~7 s a send
WAIT = 90.0  # seconds anything may take on a loaded machine


def wait_until(check: Callable[[], object], what: str, timeout: float = WAIT) -> None:
    """Poll ``check`` until it is true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached in {timeout:.0f} s")
        time.sleep(0.2)


Row = tuple[object, ...]


def _rows(deployment: Deployment, sql: str, *params: object) -> list[Row]:
    database = deployment.root / "instance" / "comms.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql, params).fetchall()


def _received(deployment: Deployment, subject: str) -> Counter[str]:
    """How many messages with this subject each address received."""
    with deployment.smtp.recorder.lock:
        messages = list(deployment.smtp.recorder.messages)
    return Counter(
        rcpt for m in messages if m.message["Subject"] == subject for rcpt in m.rcpt_tos
    )


def _send_job(deployment: Deployment, issue_id: int) -> Row | None:
    found = _rows(
        deployment,
        "SELECT state, error, attempts, done, total FROM job "
        "WHERE kind = 'newsletter-send' AND json_extract(payload, '$.issue_id') = ?",
        issue_id,
    )
    assert len(found) <= 1, found
    return found[0] if found else None


def _at(when: datetime) -> str:
    """A time for the admin's status route, in UTC and saying so (a bare time is
    read in the site's zone)."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sleep_until(when: datetime) -> None:
    time.sleep(max((when - datetime.now(UTC)).total_seconds(), 0))


def _ensure_worker(deployment: Deployment) -> None:
    """A `comms worker` with the deployment's settings runs (as systemd keeps it)."""
    worker = deployment.processes.get("worker")
    if worker is None or worker.poll() is not None:
        deployment.start_worker()


@pytest.fixture(scope="module")
def officer(deployment: Deployment) -> Browser:
    """The officer's browser, logged in through nginx."""
    assert "worker" in deployment.processes, "the installed package runs a worker"
    browser = Browser(deployment.https_port, "127.0.0.6")
    assert browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD) == 303
    return browser


@pytest.fixture(scope="module")
def readers(deployment: Deployment) -> list[str]:
    """READERS confirmed subscribers, imported from a CSV file."""
    emails = [f"reader{n}@example.net" for n in range(READERS)]
    csv = deployment.root / "subscribers.csv"
    confirmed = "2026-01-05T10:00:00Z"
    csv.write_text(
        "email,language,confirmed_at,source\n"
        + "".join(f"{e},en,{confirmed},e2e\n" for e in emails)
    )
    done = deployment.comms("subscribers", "import", str(csv))
    assert done.returncode == 0, done.stderr
    return emails


@pytest.fixture
def worker(deployment: Deployment) -> Iterator[None]:
    """Each test starts and ends with the deployment's own worker running."""
    _ensure_worker(deployment)
    yield
    _ensure_worker(deployment)


def _new_issue(officer: Browser, slug: str, title: str) -> int:
    """Compose an issue in the admin, keeping the proposed items; its id."""
    status, _, page = officer.request("GET", "/admin/newsletters/new")
    assert status == 200
    html = page.decode()
    number = re.search(r'name="number"[^>]*value="(\d+)"', html)
    assert number, "the editor proposes the next number"
    form = {"title": title, "slug": slug, "number": number.group(1),
            "language": "en", "intro": "Hello *readers*.",
            "action": "save"}  # fmt: skip
    form.update(dict(re.findall(r'name="(row-\d+)" value="([^"]+)"', html)))
    form.update(dict(re.findall(r'name="(order-\d+)" value="(\d+)"', html)))
    form.update(
        {name: "1" for name in re.findall(r'name="(pick-\d+)" value="1" checked', html)}
    )
    status, headers, body = officer.submit(
        "/admin/newsletters/new", "/admin/newsletters/new", form
    )
    assert status == 303, body[-2000:]
    found = re.search(r"/admin/newsletters/(\d+)/", headers["location"])
    assert found
    return int(found.group(1))


def _new_press_release(officer: Browser, title: str, tag: str) -> int:
    """A draft press release saved in the admin's editor; its id."""
    new = "/admin/items/new/press-releases"
    form = {"title": title, "language": "en", "summary": "Due soon.",
            "body": "The *results*.", "tags": tag, "action": "save"}  # fmt: skip
    status, headers, body = officer.submit(new, new, form)
    assert status == 303, body[-2000:]
    found = re.search(r"/admin/items/(\d+)/", headers["location"])
    assert found
    return int(found.group(1))


def _item_status(officer: Browser, item_id: int, form: dict[str, str]) -> None:
    page = f"/admin/items/{item_id}/"
    status, _, body = officer.submit(page, f"/admin/items/{item_id}/status", form)
    assert status == 303, body[-2000:]


def test_a_send_from_the_admin_survives_kill_9_of_the_worker(
    deployment: Deployment, officer: Browser, readers: list[str], worker: None
):
    subject = "Killed mid-send"
    issue = _new_issue(officer, "e2e-killed", subject)
    # A throttled worker, so that the kill lands in the middle of the send.
    deployment.stop("worker")
    deployment.start_worker(env={"COMMS_MAIL_RATE": KILLED_RATE})
    page = f"/admin/newsletters/{issue}/"
    status, _, body = officer.submit(
        page, f"/admin/newsletters/{issue}/send", {"confirm": "1"}
    )
    assert status == 303, body[-2000:]
    wait_until(lambda: sum(_received(deployment, subject).values()) >= 3, "3 sent")
    deployment.stop("worker", signal.SIGKILL)
    at_kill = sum(_received(deployment, subject).values())
    assert at_kill < READERS, "the send ended before the kill: throttle it more"
    _, _, jobs = officer.request("GET", "/admin/jobs/")
    assert b"Send newsletter e2e-killed" in jobs
    state = _send_job(deployment, issue)
    assert state is not None and state[0] == "running"

    deployment.start_worker()  # as systemd restarts it: no officer action
    wait_until(
        lambda: (_send_job(deployment, issue) or ("",))[0] in ("done", "failed"),
        "the resumed send finished",
    )
    job = _send_job(deployment, issue)
    # the killed run and the resumed one; the progress counts the resumed run's part
    assert job is not None and job[:3] == ("done", "", 2) and job[3] == job[4]
    received = _received(deployment, subject)
    assert sorted(received) == sorted(readers), "a subscriber was missed"
    assert sum(received.values()) - READERS <= 1, "more than one message repeated"
    assert max(received.values()) <= 2


def test_a_scheduled_issue_is_sent_at_its_time(
    deployment: Deployment, officer: Browser, readers: list[str], worker: None
):
    item = _new_press_release(officer, "Results for the scheduled issue", "e2e")
    _item_status(officer, item, {"action": "publish"})
    subject = "Sent at its time"
    issue = _new_issue(officer, "e2e-scheduled", subject)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    page = f"/admin/newsletters/{issue}/"
    status, _, body = officer.submit(
        page,
        f"/admin/newsletters/{issue}/schedule",
        {"action": "schedule", "send_at": _at(when)},
    )
    assert status == 303, body[-2000:]
    _sleep_until(when - timedelta(seconds=1))
    assert _received(deployment, subject) == Counter(), "sent before its time"
    assert officer.request("GET", "/newsletter/e2e-scheduled/")[0] == 404

    wait_until(
        lambda: (_send_job(deployment, issue) or ("",))[0] in ("done", "failed"),
        "the scheduled send finished",
    )
    assert _send_job(deployment, issue) == ("done", "", 1, READERS, READERS)
    assert _received(deployment, subject) == Counter(dict.fromkeys(readers, 1))
    status, _, body = Browser(deployment.https_port, "127.0.0.7").request(
        "GET", "/newsletter/e2e-scheduled/"
    )
    assert status == 200 and b"Results for the scheduled issue" in body


def test_a_scheduled_item_is_pinged_and_snapshotted_when_it_comes_due(
    deployment: Deployment, officer: Browser, worker: None
):
    site = deployment.url
    tag = "e2e-due"
    item = _new_press_release(officer, "Due in a few seconds", tag)
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
    _item_status(officer, item, {"action": "schedule", "published_at": _at(when)})
    feeds = {
        f"{site}{path}/feed.{fmt}"
        for path in ("", "/press-releases", f"/tags/{tag}")
        for fmt in ("xml", "atom", "json")
    }

    def snapshots() -> list[Row]:
        return _rows(
            deployment,
            "SELECT taken_at, url, html FROM page_snapshot WHERE item_id = ?",
            item,
        )

    _sleep_until(when - timedelta(seconds=1))
    assert f"{site}/tags/{tag}/feed.xml" not in deployment.hub.topics(), "pinged early"
    assert snapshots() == [], "snapshotted before its time"

    wait_until(lambda: feeds <= set(deployment.hub.topics()), "the pings")
    wait_until(snapshots, "the evidence snapshot")
    [(taken_at, url, html)] = snapshots()
    assert isinstance(taken_at, str) and isinstance(html, str)
    assert datetime.fromisoformat(taken_at).replace(tzinfo=UTC) >= when
    assert url == "/press-releases/due-in-a-few-seconds/"
    assert "Due in a few seconds" in html  # the page as the public saw it
    status, _, _ = officer.request("GET", "/press-releases/due-in-a-few-seconds/")
    assert status == 200
