"""Indicators over a period: every figure, the boundaries and the time zones."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from comms.errors import BadRequest
from comms.kpi import counting, indicators
from comms.kpi.indicators import Period, choose_period, compute, series
from tests.factories import make_item
from tests.kpi.activity import EXPECTED, FIRST, LAST, make_activity
from tests.kpi.helpers import counts

PERIOD = Period(FIRST, LAST, "Period 4")


@pytest.fixture
def report(session, store):
    make_activity(session, store)
    return compute(session, PERIOD)


def test_every_indicator_has_the_expected_value(report):
    assert {i.key: i.value for i in report.indicators} == EXPECTED


def test_indicators_keep_the_progress_report_order_and_labels(report):
    assert [i.key for i in report.indicators] == list(indicators.LABELS)
    assert all(i.label == indicators.LABELS[i.key] for i in report.indicators)


def test_deliverables_list_the_outputs_that_name_one(report):
    [row] = report.deliverables
    assert (row.deliverable, row.work_package, row.kind, row.slug) == (
        "D.T1.2.1",
        "T1",
        "report",
        "r1",
    )
    assert (row.views, row.downloads, row.path) == (7, 4, "/reports/r1/")


def test_top_items_rank_page_views_in_the_period(report):
    assert [(t.path, t.views) for t in report.top_items] == [
        ("/reports/r1/", 7),
        ("/press-releases/a/", 3),
    ]
    assert report.top_items[0].title == "StressTest report: Lombardia"


def test_the_next_period_starts_with_what_fell_just_outside(session, store):
    make_activity(session, store)
    later = compute(session, Period(date(2018, 11, 1), date(2018, 11, 1)))
    assert later.value("press_releases") == 1  # d, at 00:00
    assert later.value("events_held") == 1
    assert later.value("event_participants") == 100
    assert later.value("page_views") == 7
    assert later.value("newsletter_issues") == 1
    assert later.value("newsletter_subscribers") == 3  # s1, s3, s4
    assert later.value("feed_subscribers") == 80
    assert later.value("video_views") == 999 - 300


def test_newsletter_flows_take_the_larger_of_recorded_and_stored(session, store):
    make_activity(session, store)
    counting.record(
        session, counting.NEWSLETTER_CONFIRM, "", day=date(2018, 6, 1), amount=9
    )
    session.commit()
    assert compute(session, PERIOD).value("newsletter_confirmations") == 9


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        ("2018-10-31T23:30:00+00:00", date(2018, 10, 31)),
        ("2018-11-01T00:00:00+00:00", date(2018, 11, 1)),
        ("2018-11-01T00:30:00+02:00", date(2018, 10, 31)),
    ],
)
def test_a_visit_counts_on_its_utc_day(client, session, moment, day):
    make_item(session, kind="report", slug="r", published_at=None, status="draft")
    from tests.kpi.activity import at

    item = session.query(indicators.Item).one()
    item.status, item.published_at = "published", at("2018-01-01T00:00")
    session.commit()
    with freeze_time(moment):
        assert client.get("/reports/r/").status_code == 200
    assert counts(session, counting.ITEM_VIEW) == {(day, "reports/r"): 1}


def test_choose_period_by_number_from_site_yml(app):
    raw = app.extensions["comms"].site.reporting_periods
    chosen = choose_period(raw, number=2, start=None, end=None, today=date(2020, 1, 1))
    assert chosen == Period(date(2018, 5, 1), date(2018, 10, 31), "Period 4")


def test_choose_period_defaults_to_the_current_configured_one(app):
    raw = app.extensions["comms"].site.reporting_periods
    chosen = choose_period(raw, number=None, start=None, end=None, today=LAST)
    assert chosen.name == "Period 4"
    fallback = choose_period(
        raw, number=None, start=None, end=None, today=date(2030, 1, 30)
    )
    assert (fallback.start, fallback.end) == (date(2030, 1, 1), date(2030, 1, 30))


@pytest.mark.parametrize(
    ("number", "start", "end"),
    [
        (9, None, None),
        (0, None, None),
        (None, "2018-13-01", None),
        (None, "2018-05-02", "2018-05-01"),
    ],
)
def test_choose_period_rejects_what_it_cannot_use(number, start, end):
    with pytest.raises(BadRequest):
        choose_period((), number=number, start=start, end=end, today=LAST)


def test_series_show_outputs_per_month_and_subscribers(session, store):
    make_activity(session, store)
    report = compute(session, PERIOD)
    data = series(session, PERIOD, report)
    assert data.months == [
        "2018-05",
        "2018-06",
        "2018-07",
        "2018-08",
        "2018-09",
        "2018-10",
    ]
    assert data.outputs_by_kind["press_release"] == [1, 0, 0, 0, 0, 2]
    assert data.outputs_by_kind["report"] == [0, 1, 1, 0, 0, 0]
    assert data.outputs_by_kind["video"] == [1, 0, 0, 0, 0, 0]
    assert data.buckets == data.months
    assert data.downloads == [0, 0, 4, 0, 0, 0]
    assert data.newsletter_subscribers == [1, 2, 2, 2, 1, 2]
    assert data.feed_subscribers == [7, 47, 47, 47, 47, 52]
    assert data.video_days == ["2018-05-10", "2018-10-31"]
    assert data.video_views == [10, 1800]


def test_a_configured_period_past_the_last_supported_day_is_refused():
    raw = ({"name": "Forever", "start": date(2018, 1, 1), "end": date(9999, 12, 31)},)
    with pytest.raises(BadRequest, match="reporting period 1 end must be between"):
        choose_period(raw, number=1, start=None, end=None, today=date(2018, 5, 1))
