"""Counting item views, downloads, feed fetches and stated feed subscribers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from comms import create_app
from comms.catalogue.models import Item, ReportFile
from comms.db import init_db
from comms.kpi import counting
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
        ("Tiny Tiny RSS/21.0 (1 readers)", ("Tiny", 1)),
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
