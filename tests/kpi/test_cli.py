"""`comms kpi`: the same indicators as a table, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json

import pytest

from comms.kpi.export import CSV_COLUMNS
from comms.kpi.indicators import LABELS
from tests.kpi.activity import EXPECTED, make_activity


@pytest.fixture
def activity(session, store):
    make_activity(session, store)


def test_kpi_csv_has_every_column_and_indicator(runner, activity):
    result = runner.invoke(args=["kpi", "--period", "2", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    period = {r["indicator"]: r["value"] for r in rows if r["section"] == "period"}
    assert period == {"name": "Period 4", "from": "2018-05-01", "to": "2018-10-31"}
    values = {r["indicator"]: r for r in rows if r["section"] == "indicator"}
    assert {k: int(r["value"]) for k, r in values.items()} == EXPECTED
    assert {k: r["label"] for k, r in values.items()} == LABELS
    [row] = [r for r in rows if r["section"] == "deliverable"]
    assert row == {
        "section": "deliverable",
        "indicator": "output",
        "label": "Output of a deliverable",
        "value": "",
        "deliverable": "D.T1.2.1",
        "work_package": "T1",
        "kind": "report",
        "slug": "r1",
        "language": "en",
        "title": "StressTest report: Lombardia",
        "published_at": "2018-06-15T09:00:00+00:00",
        "url": "http://127.0.0.1:5000/reports/r1/",
        "views": "7",
        "downloads": "4",
        "due": "",
        "state": "",
        "outputs": "",
        "video_views": "",
    }


def test_kpi_json_with_dates_gives_the_same_figures(runner, activity):
    result = runner.invoke(
        args=["kpi", "--from", "2018-05-01", "--to", "2018-10-31", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["period"] == {"name": "", "from": "2018-05-01", "to": "2018-10-31"}
    assert data["indicators"] == EXPECTED
    assert [d["slug"] for d in data["deliverables"]] == ["r1"]
    assert data["top_items"][0] == {
        "title": "StressTest report: Lombardia",
        "url": "http://127.0.0.1:5000/reports/r1/",
        "views": 7,
    }


def test_kpi_table_names_the_period_and_each_figure(runner, activity):
    result = runner.invoke(args=["kpi", "--period", "2"])
    assert result.exit_code == 0, result.output
    assert "Period 4 (2018-05-01 to 2018-10-31)" in result.stdout
    line = next(
        x for x in result.stdout.splitlines() if x.startswith("Event participants")
    )
    assert line.split()[-1] == "65"
    assert "D.T1.2.1" in result.stdout


def test_kpi_takes_todays_video_snapshot_when_missing(runner, session):
    from comms.kpi.models import VideoSnapshot
    from tests.factories import make_item

    make_item(session, kind="video", view_count=70)
    result = runner.invoke(args=["kpi", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["indicators"]["video_views_total"] == 70
    assert session.query(VideoSnapshot).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "7"], "period 7 is not configured"),
        (["--from", "2018-02-30"], "from must be a date"),
        (["--period", "1", "--from", "2018-01-01"], "not both"),
        (["--to", "9999-12-31"], "to must be between 1970-01-01 and 2199-12-31"),
        (["--from", "0001-01-01"], "from must be between 1970-01-01 and 2199-12-31"),
        (["--to", "0001-01-05"], "to must be between 1970-01-01 and 2199-12-31"),
        (["--from", "20180501"], "from must be a date like 2018-05-01"),
        (["--from", "2018-06-01", "--to", "2018-05-01"], "is after to"),
    ],
)
def test_kpi_reports_a_bad_period_in_one_line(runner, app, args, message):
    result = runner.invoke(args=["kpi", *args])
    assert result.exit_code in (1, 2)  # 2: click's usage error
    assert isinstance(result.exception, SystemExit)
    assert message in result.output.splitlines()[-1]


def test_kpi_csv_writes_a_formula_like_title_as_text(runner, session, activity):
    from sqlalchemy import update

    from comms.catalogue.models import Item

    formula = '=HYPERLINK("http://evil.example","Click")'
    session.execute(update(Item).where(Item.slug == "r1").values(title=formula))
    session.commit()
    result = runner.invoke(args=["kpi", "--period", "2", "--format", "csv"])
    assert result.exit_code == 0, result.output
    [row] = [
        r
        for r in csv.DictReader(io.StringIO(result.stdout))
        if r["section"] == "deliverable"
    ]
    assert row["title"] == "'" + formula
