"""Counting item views, downloads, feed fetches and stated feed subscribers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from comms import create_app
from comms.catalogue.models import Item, ReportFile
from comms.db import init_db
from comms.kpi import counting, indicators
from comms.kpi.counting import parse_subscribers, record, snapshot_videos
from comms.kpi.models import VideoSnapshot
from tests.factories import make_item, make_report
from tests.kpi.helpers import counts

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
FEEDLY = (
    "Feedly/1.0 (+http://www.feedly.com/fetcher.html; {n} subscribers; "
    "feed-id=feed/https://example.org/feed.xml)"
)


def test_item_page_view_is_counted_per_item_and_day(client, session):
    make_item(session, kind="report", slug="policy")
    make_item(session, slug="launch")
    for _ in range(3):
        assert client.get("/reports/policy/", headers=BROWSER).status_code == 200
    assert client.get("/press-releases/launch/", headers=BROWSER).status_code == 200
    today = counting.today()
    assert counts(session, counting.ITEM_VIEW) == {
        (today, "reports/policy"): 3,
        (today, "press-releases/launch"): 1,
    }


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("get", "/reports/missing/", BROWSER),
        ("head", "/reports/policy/", BROWSER),
        ("get", "/reports/policy/", {"User-Agent": "Googlebot/2.1"}),
        ("get", "/", BROWSER),
        ("get", "/reports/", BROWSER),
    ],
)
def test_only_item_page_gets_by_visitors_are_counted(
    client, session, method, url, headers
):
    make_item(session, kind="report", slug="policy")
    getattr(client, method)(url, headers=headers)
    assert counts(session, counting.ITEM_VIEW) == {}


def test_counting_stores_no_cookie(client, session):
    make_item(session, kind="report", slug="policy")
    response = client.get("/reports/policy/", headers=BROWSER)
    assert "Set-Cookie" not in response.headers


def test_counting_can_be_switched_off(settings, tmp_path):
    app = create_app(replace(settings, counting=False))
    init_db(app.extensions["comms"].engine)
    with app.extensions["comms"].sessionmaker() as session:
        make_item(session, kind="report", slug="policy")
        assert app.test_client().get("/reports/policy/").status_code == 200
        assert counts(session, counting.ITEM_VIEW) == {}
    app.extensions["comms"].engine.dispose()


def test_comms_counting_variable_switches_counting_off():
    from comms.config import Settings

    assert Settings.from_env({"COMMS_COUNTING": "0"}).counting is False
    assert Settings.from_env({}).counting is True


def test_comms_count_flush_seconds_sets_how_long_counts_wait():
    from comms.config import Settings
    from comms.errors import ConfigMissing

    assert Settings.from_env({}).count_flush_seconds == 2.0
    assert (
        Settings.from_env({"COMMS_COUNT_FLUSH_SECONDS": "5"}).count_flush_seconds == 5
    )
    with pytest.raises(ConfigMissing, match="COMMS_COUNT_FLUSH_SECONDS must be"):
        Settings.from_env({"COMMS_COUNT_FLUSH_SECONDS": "0"})


def test_download_is_counted_per_file_and_day_next_to_the_file_counter(
    client, session, store
):
    report = make_report(session, store, slug="policy", filename="policy.pdf")
    for _ in range(2):
        with client.get("/reports/policy/files/policy.pdf") as response:
            assert response.status_code == 200
    with client.get("/reports/policy/files/nothing.pdf") as response:
        assert response.status_code == 404
    assert counts(session, counting.DOWNLOAD) == {
        (counting.today(), "policy/policy.pdf"): 2
    }
    assert session.get(ReportFile, report.files[0].id).download_count == 2


def test_feed_fetch_is_counted_per_feed(client, session):
    make_item(session)
    assert client.get("/feed.xml").status_code == 200
    assert client.get("/feed.atom").status_code == 200
    assert client.get("/feed.xml").status_code == 200
    today = counting.today()
    assert counts(session, counting.FEED_FETCH) == {
        (today, "/feed.xml"): 2,
        (today, "/feed.atom"): 1,
    }


def test_feed_reader_subscribers_are_kept_as_the_days_maximum(client, session):
    make_item(session)
    for n in (42, 40):
        client.get("/feed.xml", headers={"User-Agent": FEEDLY.format(n=n)})
    client.get(
        "/feed.xml",
        headers={"User-Agent": "Inoreader/1.0 (+https://inoreader.com; 7 subscribers)"},
    )
    today = counting.today()
    assert counts(session, counting.FEED_SUBSCRIBERS) == {
        (today, "Feedly /feed.xml"): 42,
        (today, "Inoreader /feed.xml"): 7,
    }
    client.get("/feed.xml", headers={"User-Agent": FEEDLY.format(n=50)})
    assert counts(session, counting.FEED_SUBSCRIBERS)[(today, "Feedly /feed.xml")] == 50


def test_only_feeds_count_as_feed_fetches_and_subscribers(client, session, store):
    # A citation export ends in .json like a JSON feed; counting it let one forged
    # claim per report add a million "feed subscribers" each.
    make_report(session, store, slug="policy", filename="policy.pdf", data=PDF)
    agent = {"User-Agent": FEEDLY.format(n=1000)}
    assert client.get("/reports/policy/cite.json", headers=agent).status_code == 200
    assert counts(session, counting.FEED_FETCH) == {}
    assert counts(session, counting.FEED_SUBSCRIBERS) == {}
    assert client.get("/newsletter/feed.xml", headers=agent).status_code == 200
    assert counts(session, counting.FEED_SUBSCRIBERS) == {
        (counting.today(), "Feedly /newsletter/feed.xml"): 1000
    }


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (FEEDLY.format(n=42), ("Feedly", 42)),
        (
            "Inoreader/1.0 (+http://www.inoreader.com/feed-fetcher; 7 subscribers; )",
            ("Inoreader", 7),
        ),
        (
            "Mozilla/5.0 (compatible; Feedbin feed-id:1 - 13 subscribers)",
            ("Feedbin", 13),
        ),
        (
            "NewsBlur Feed Fetcher - 5 subscribers - http://www.newsblur.com",
            ("NewsBlur", 5),
        ),
        ("Tiny Tiny RSS/21.0 (1 readers)", ("Tiny Tiny RSS", 1)),
        ("Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0", None),
        ("", None),
    ],
)
def test_parse_subscribers_reads_the_count_feed_readers_state(agent, expected):
    assert parse_subscribers(agent) == expected


def test_record_adds_to_a_days_counter(session):
    day = date(2018, 5, 1)
    record(session, counting.NEWSLETTER_SEND, "newsletter-1", day=day, amount=120)
    record(session, counting.NEWSLETTER_SEND, "newsletter-1", day=day)
    record(session, counting.NEWSLETTER_BOUNCE, "newsletter-1", day=day, amount=3)
    session.commit()
    assert counts(session, counting.NEWSLETTER_SEND) == {(day, "newsletter-1"): 121}
    assert counts(session, counting.NEWSLETTER_BOUNCE) == {(day, "newsletter-1"): 3}


def test_record_is_undone_with_the_callers_transaction(session):
    record(session, counting.NEWSLETTER_CONFIRM, "", day=date(2018, 5, 1))
    session.rollback()
    assert counts(session, counting.NEWSLETTER_CONFIRM) == {}


def test_snapshot_videos_keeps_each_days_counts(session):
    video = make_item(
        session, kind="video", view_count=100, like_count=5, comment_count=2
    )
    make_item(session)  # not a video: no snapshot
    day = date(2018, 5, 1)
    assert snapshot_videos(session, day) == 1
    video.view_count = 150
    session.commit()
    assert snapshot_videos(session, day) == 1  # same day: replaced
    assert snapshot_videos(session, date(2018, 5, 2)) == 1
    session.expire_all()
    rows = {
        (s.day, s.item_id): (s.views, s.likes, s.comments)
        for s in session.query(VideoSnapshot)
    }
    assert rows == {
        (day, video.id): (150, 5, 2),
        (date(2018, 5, 2), video.id): (150, 5, 2),
    }


def test_a_failing_counter_does_not_break_the_page(app, client, session):
    make_item(session, kind="report", slug="policy")
    with app.extensions["comms"].engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE daily_count")
    assert client.get("/reports/policy/", headers=BROWSER).status_code == 200
    assert session.query(Item).count() == 1


def test_count_buffer_gathers_counts_and_writes_them_together(app, session):
    from comms.kpi.counting import CountBuffer

    buffer = CountBuffer(app.extensions["comms"].engine, interval=3600)
    for _ in range(3):
        buffer.add(counting.ITEM_VIEW, "reports/policy", 1)
    buffer.add(counting.FEED_SUBSCRIBERS, "Feedly /feed.xml", 42)
    buffer.add(counting.FEED_SUBSCRIBERS, "Feedly /feed.xml", 40)
    assert counts(session, counting.ITEM_VIEW) == {}
    buffer.flush()
    buffer.add(counting.ITEM_VIEW, "reports/policy", 1)
    buffer.flush()
    today = counting.today()
    assert counts(session, counting.ITEM_VIEW) == {(today, "reports/policy"): 4}
    assert counts(session, counting.FEED_SUBSCRIBERS) == {
        (today, "Feedly /feed.xml"): 42
    }


# Issue 14, point 3: the figures reported to the funder can be neither forged nor lost.

PDF = b"%PDF-1.4\n" + b"x" * 991  # 1,000 bytes


def _today() -> indicators.Period:
    return indicators.Period(counting.today(), counting.today())


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "Mozilla/5.0 (compatible; BazQux/2.4; +https://bazqux.com/fetcher; "
            "3 subscribers)",
            ("BazQux", 3),
        ),
        (
            "Mozilla/5.0 (compatible; theoldreader.com; 12 subscribers; feed-id=1)",
            ("The Old Reader", 12),
        ),
        (
            "Mozilla/5.0 (compatible; Feedspot/1.0 (+https://www.feedspot.com/fs/"
            "fetcher; like FeedFetcher-Google); 4 subscribers)",
            ("Feedspot", 4),
        ),
        (FEEDLY.format(n=1_000_000), ("Feedly", 1_000_000)),
        (FEEDLY.format(n=1_000_001), None),
        (FEEDLY.format(n=2_000_000_000), None),
        (FEEDLY.format(n=2**64), None),
        (FEEDLY.format(n="9" * 5000), None),
        (FEEDLY.format(n="\N{SUPERSCRIPT TWO}"), None),
        ("Mozilla/5.0 (compatible; Evil/1.0; 2000000000 subscribers)", None),
        ("Mozilla/5.0 (compatible; MyReader/1.0; 5 subscribers)", None),
        ("MyFeedly/1.0 (5 subscribers)", None),
    ],
)
def test_parse_subscribers_believes_only_known_services_and_sane_numbers(
    agent, expected
):
    assert parse_subscribers(agent) == expected


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Evil/1.0; 2000000000 subscribers)",
        "Evil/1.0 (999999 subscribers)",
        FEEDLY.format(n=2_000_000_000),
        FEEDLY.format(n=2**64),
        FEEDLY.format(n="9" * 5000),
    ],
)
def test_a_forged_subscriber_claim_sets_no_figure(client, session, agent):
    make_item(session)
    assert client.get("/feed.xml", headers={"User-Agent": agent}).status_code == 200
    assert counts(session, counting.FEED_SUBSCRIBERS) == {}
    assert counts(session, counting.FEED_FETCH) == {(counting.today(), "/feed.xml"): 1}
    assert indicators.compute(session, _today()).value("feed_subscribers") == 0


def _download(client, method="get", **headers):
    with getattr(client, method)(
        "/reports/policy/files/policy.pdf", headers={**BROWSER, **headers}
    ) as response:
        response.get_data()
        return response


@pytest.fixture
def report_file(session, store):
    return make_report(
        session, store, slug="policy", filename="policy.pdf", data=PDF
    ).files[0]


def test_fifty_one_byte_ranges_count_no_download(client, session, report_file):
    for _ in range(50):
        response = _download(client, Range="bytes=0-0")
        assert response.status_code == 206
        assert response.headers["Content-Range"] == "bytes 0-0/1000"
    assert counts(session, counting.DOWNLOAD) == {}
    assert session.get(ReportFile, report_file.id).download_count == 0
    assert indicators.compute(session, _today()).value("report_downloads") == 0


@pytest.mark.parametrize(
    ("method", "headers", "status", "downloads"),
    [
        ("get", {}, 200, 1),
        ("get", {"Range": "bytes=0-"}, 206, 1),
        ("get", {"Range": "bytes=0-999"}, 206, 1),
        ("get", {"Range": "bytes=0-5000"}, 206, 1),  # past the end: the whole file
        ("get", {"Range": "bytes=0-998"}, 206, 0),  # all but the last byte
        ("get", {"Range": "bytes=0-0"}, 206, 0),
        ("get", {"Range": "bytes=500-"}, 206, 0),  # resumed: counted at its start
        ("get", {"Range": "bytes=-10"}, 206, 0),
        ("get", {"If-None-Match": '"SHA"'}, 304, 0),
        ("head", {}, 200, 0),
    ],
)
def test_a_download_is_an_answer_from_the_first_byte_to_the_last(
    client, session, report_file, method, headers, status, downloads
):
    headers = {k: v.replace("SHA", report_file.sha256) for k, v in headers.items()}
    assert _download(client, method, **headers).status_code == status
    expected = {(counting.today(), "policy/policy.pdf"): 1} if downloads else {}
    assert counts(session, counting.DOWNLOAD) == expected
    assert session.get(ReportFile, report_file.id).download_count == downloads


@pytest.fixture
def buffered(settings):
    """An app that gathers counts for 2 s (the default) before writing them."""
    app = create_app(replace(settings, count_flush_seconds=2.0))
    init_db(app.extensions["comms"].engine)
    yield app
    counting.flush_counts(app)
    app.extensions["comms"].engine.dispose()


def test_an_overflowing_claim_loses_no_other_count_of_its_window(buffered):
    with buffered.extensions["comms"].sessionmaker() as session:
        make_report(
            session,
            buffered.extensions["comms"].store,
            slug="policy",
            filename="policy.pdf",
            data=PDF,
        )
        make_item(session)
        client = buffered.test_client()
        for claim in (2**64, 2**63, 10**30):
            agent = FEEDLY.format(n=claim)
            assert (
                client.get("/feed.xml", headers={"User-Agent": agent}).status_code
                == 200
            )
        assert _download(client).status_code == 200
        counting.flush_counts(buffered)
        today = counting.today()
        assert counts(session, counting.DOWNLOAD) == {(today, "policy/policy.pdf"): 1}
        assert counts(session, counting.FEED_FETCH) == {(today, "/feed.xml"): 3}
        assert counts(session, counting.FEED_SUBSCRIBERS) == {}
        # Counting goes on: the next window is written too.
        assert _download(client).status_code == 200
        counting.flush_counts(buffered)
        assert counts(session, counting.DOWNLOAD) == {(today, "policy/policy.pdf"): 2}


def test_a_counter_the_database_refuses_is_dropped_alone(app, session, monkeypatch):
    upsert = counting._upsert_rows

    def refusing(dialect, rows, *, keep_max):
        if any(row["key"] == "bad" for row in rows):
            raise OverflowError("refused")
        return upsert(dialect, rows, keep_max=keep_max)

    monkeypatch.setattr(counting, "_upsert_rows", refusing)
    buffer = counting.CountBuffer(app.extensions["comms"].engine, interval=3600)
    buffer.add(counting.ITEM_VIEW, "bad", 1)
    buffer.add(counting.ITEM_VIEW, "reports/policy", 1)
    buffer.add(counting.DOWNLOAD, "policy/policy.pdf", 1)
    buffer.flush()
    buffer.add(counting.ITEM_VIEW, "reports/policy", 1)
    buffer.flush()
    today = counting.today()
    assert counts(session, counting.ITEM_VIEW) == {(today, "reports/policy"): 2}
    assert counts(session, counting.DOWNLOAD) == {(today, "policy/policy.pdf"): 1}


def test_no_amount_can_overflow_a_counter(session):
    day = date(2018, 5, 1)
    for amount in (2**64, 2**63 - 1, 2**63):
        record(session, counting.NEWSLETTER_SEND, "n", day=day, amount=amount)
    session.commit()
    assert counts(session, counting.NEWSLETTER_SEND) == {
        (day, "n"): 3 * counting.MAX_AMOUNT
    }


def test_a_count_is_written_within_seconds_on_a_quiet_site(buffered):
    state = buffered.extensions["comms"]
    with state.sessionmaker() as session:
        make_report(
            session, state.store, slug="policy", filename="policy.pdf", data=PDF
        )
        assert _download(buffered.test_client()).status_code == 200
        assert counts(session, counting.DOWNLOAD) == {}  # gathered, not yet written
        wanted = {(counting.today(), "policy/policy.pdf"): 1}
        deadline = time.monotonic() + 10
        while counts(session, counting.DOWNLOAD) != wanted:
            assert time.monotonic() < deadline, "the count was never written"
            time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - loopback
        answer.read()
        return int(answer.status)


@pytest.mark.parametrize(
    ("options", "stop"),
    [
        (["--workers", "1"], signal.SIGTERM),
        ([], signal.SIGINT),
        ([], signal.SIGTERM),  # kill, systemd, docker stop: it lost the counts
    ],
    ids=["gunicorn", "development-server", "development-server-sigterm"],
)
def test_gathered_counts_are_written_when_the_server_stops(
    settings, session, store, tmp_path, options, stop
):
    make_report(session, store, slug="policy", filename="policy.pdf", data=PDF)
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "COMMS_DATABASE_URL": settings.database_url,
        "COMMS_CONTENT_DIR": str(settings.content_dir),
        "COMMS_MEDIA_DIR": str(settings.media_dir),
        "COMMS_INSTANCE_PATH": str(tmp_path / "served"),
        "COMMS_SECRET_KEY": "s" * 40,
        "COMMS_COUNT_FLUSH_SECONDS": "3600",  # only the shutdown can write it
    }
    # Ctrl-C raises KeyboardInterrupt even when this suite was started where
    # SIGINT is ignored (a background job of a script), as a terminal's is not
    command = [
        sys.executable, "-c",
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from comms.cli import main; main()",
    ]  # fmt: skip
    server = subprocess.Popen(  # noqa: S603 - our own CLI
        [*command, "serve", "--port", str(port), *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert _get(f"{base}/reports/policy/files/policy.pdf") == 200
        assert counts(session, counting.DOWNLOAD) == {}  # held for an hour
        server.send_signal(stop)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert counts(session, counting.DOWNLOAD) == {
        (counting.today(), "policy/policy.pdf"): 1
    }


def test_a_gunicorn_worker_writes_its_counts_as_it_exits(buffered):
    from comms.serving import _worker_exit

    state = buffered.extensions["comms"]
    with state.sessionmaker() as session:
        make_item(session, kind="report", slug="policy")
        client = buffered.test_client()
        assert client.get("/reports/policy/", headers=BROWSER).status_code == 200
        _worker_exit(None, SimpleNamespace(wsgi=buffered))
        assert counts(session, counting.ITEM_VIEW) == {
            (counting.today(), "reports/policy"): 1
        }


def test_counting_hands_a_replay_hook_that_counts_the_replaying_visitor(
    app, client, session
):
    from comms.self_requests import SNAPSHOT, STATIC_COPY, mark

    make_item(session, kind="report", slug="policy")
    client.get("/reports/policy/", headers=BROWSER)
    [(_stamp, _status, _headers, _body, hooks)] = app.wsgi_app._answers.values()
    [hook] = hooks
    assert isinstance(hook, counting.Counted)
    visit = {"REQUEST_METHOD": "GET", "HTTP_USER_AGENT": BROWSER["User-Agent"]}
    hook(visit)  # what the page cache does on a replay, without the cache
    hook({**visit, "HTTP_USER_AGENT": "Googlebot/2.1"})  # a bot: no view
    hook({**visit, **mark(SNAPSHOT)})  # the site itself: no view
    hook({**visit, **mark(STATIC_COPY)})
    hook({**visit, "REQUEST_METHOD": "HEAD"})
    assert counts(session, counting.ITEM_VIEW) == {
        (counting.today(), "reports/policy"): 2
    }


def test_a_flush_writes_many_counters_in_a_few_statements(app, session):
    """One statement per counter held SQLite's write lock for seconds under load
    (publishes and other workers' counts gave up waiting): a flush of 1,000
    counters now takes a handful, and every count arrives, long keys included."""
    from sqlalchemy import event

    from comms.kpi.counting import ROWS_PER_STATEMENT, CountBuffer

    engine = app.extensions["comms"].engine
    buffer = CountBuffer(engine, interval=3600)
    for n in range(1_000):
        buffer.add(counting.ITEM_VIEW, f"reports/r{n}", 1 + n % 3)
    buffer.add(counting.ITEM_VIEW, "reports/r7", 5)
    long = "x" * 300
    buffer.add(counting.DOWNLOAD, long + "a", 2)  # both stored under one key
    buffer.add(counting.DOWNLOAD, long + "b", 3)
    buffer.add(counting.FEED_SUBSCRIBERS, "Feedly /feed.xml", 42)
    statements: list[str] = []

    def seen(_c, _cur, statement, *_rest) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        buffer.flush()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    upserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(upserts) == -(-1_001 // ROWS_PER_STATEMENT) + 1  # views+download, max
    views = counts(session, counting.ITEM_VIEW)
    assert len(views) == 1_000
    assert sum(views.values()) == sum(1 + n % 3 for n in range(1_000)) + 5
    assert list(counts(session, counting.DOWNLOAD).values()) == [5]
    assert list(counts(session, counting.FEED_SUBSCRIBERS).values()) == [42]
    buffer.add(counting.FEED_SUBSCRIBERS, "Feedly /feed.xml", 40)
    buffer.add(counting.ITEM_VIEW, "reports/r0", 1)
    buffer.flush()
    assert list(counts(session, counting.FEED_SUBSCRIBERS).values()) == [42]
    assert [n for (_d, k), n in counts(session, counting.ITEM_VIEW).items()
            if k == "reports/r0"] == [2]  # fmt: skip
