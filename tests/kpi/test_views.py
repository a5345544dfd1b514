"""/admin/kpi: login, the indicator table, the SVG charts and the exports."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET

import pytest

from comms.kpi import charts
from tests.kpi.activity import EXPECTED, make_activity
from tests.kpi.helpers import log_in

SVG = "{http://www.w3.org/2000/svg}"
URL = "/admin/kpi/?period=2"


@pytest.fixture
def page(client, session, store):
    make_activity(session, store)
    log_in(client, session)
    response = client.get(URL)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def chart(page: str, name: str) -> ET.Element:
    found = re.search(rf'id="chart-{name}">(<svg.*?</svg>)</figure>', page, re.S)
    assert found, name
    return ET.fromstring(found.group(1))


def series(svg: ET.Element) -> dict[str, list[tuple[str, int]]]:
    return {
        g.get("data-series"): [
            (mark.get("data-label"), int(mark.get("data-value")))
            for mark in g
            if mark.get("data-value") is not None
        ]
        for g in svg.iter(f"{SVG}g")
        if g.get("class") == "series"
    }


def test_kpi_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/admin/login?next=")
    assert "kpi" in response.headers["Location"]


def test_kpi_page_shows_every_indicator(page):
    shown = dict(
        re.findall(
            r'data-indicator="(\w+)"><th scope="row">[^<]*</th><td>([\d,]+)</td>', page
        )
    )
    assert {k: int(v.replace(",", "")) for k, v in shown.items()} == EXPECTED
    assert "Period 4 (2018-05-01 to 2018-10-31)" in page


def test_outputs_chart_stacks_kinds_per_month(page):
    svg = chart(page, "outputs")
    assert svg.find(f"{SVG}title").text == "Outputs published per month, by kind"
    data = series(svg)
    assert list(data) == ["Press releases", "Reports", "Videos", "Events"]
    assert data["Press releases"] == [
        ("2018-05", 1),
        ("2018-06", 0),
        ("2018-07", 0),
        ("2018-08", 0),
        ("2018-09", 0),
        ("2018-10", 2),
    ]
    assert [v for _m, v in data["Reports"]] == [0, 1, 1, 0, 0, 0]


def test_line_charts_show_views_and_subscribers(page):
    views = series(chart(page, "video_views"))
    assert views == {"Views": [("2018-05-10", 10), ("2018-10-31", 1800)]}
    subscribers = series(chart(page, "subscribers"))
    assert [v for _l, v in subscribers["Newsletter"]] == [1, 2, 2, 2, 1, 2]
    assert [v for _l, v in subscribers["Feed readers"]] == [7, 47, 47, 47, 47, 52]
    downloads = series(chart(page, "downloads"))
    assert [v for _l, v in downloads["Downloads"]] == [0, 0, 4, 0, 0, 0]


def test_top_items_chart_ranks_items(page):
    data = series(chart(page, "top_items"))
    assert list(data) == ["Most viewed items"]
    ranked = data["Most viewed items"]
    assert [v for _l, v in ranked] == [7, 3]
    assert ranked[0][0] == "StressTest report: Lombardia"


def test_page_embeds_no_external_script(page):
    # Only the admin shell's own script, from this site (the CSP allows no other).
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", page)
    assert sources and all(src.startswith("/static/") for src in sources), sources
    inline = [t for t in re.findall(r"<script[^>]*>", page) if "src=" not in t]
    assert all('type="application/ld+json"' in tag for tag in inline)


def test_kpi_export_csv_matches_the_page(client, session, store):
    make_activity(session, store)
    log_in(client, session)
    response = client.get("/admin/kpi/export.csv?from=2018-05-01&to=2018-10-31")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    values = {
        r["indicator"]: int(r["value"]) for r in rows if r["section"] == "indicator"
    }
    assert values == EXPECTED


@pytest.mark.parametrize("path", ["/admin/kpi/", "/admin/kpi/export.csv"])
@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("from=yesterday", "from must be a date like 2018-05-01"),
        ("from=2018-05-01&to=9999-12-31", "to must be between 1970-01-01 and"),
        ("to=9999-12-31", "to must be between 1970-01-01 and 2199-12-31"),
        ("from=0001-01-01&to=2018-05-01", "from must be between 1970-01-01 and"),
        ("to=0001-01-05", "to must be between 1970-01-01 and 2199-12-31"),
        ("from=%2B2018-05-01", "from must be a date like 2018-05-01"),
        ("from=20180501", "from must be a date like 2018-05-01"),
        ("from=2018-06-01&to=2018-05-01", "from (2018-06-01) is after to"),
        ("period=%C2%B2", "period must be a number"),
        ("period=99999", "period must be a number"),
        ("period=9", "period 9 is not configured"),
    ],
)
def test_kpi_page_answers_400_with_the_reason_for_a_bad_period(
    client, session, path, query, reason
):
    log_in(client, session)
    response = client.get(f"{path}?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert reason in response.get_json()["error"]["message"]


def test_kpi_date_fields_offer_only_the_days_a_period_may_cover(page):
    for name in ("from", "to"):
        assert re.search(rf'name="{name}" min="1970-01-01" max="2199-12-31"', page), (
            name
        )


@pytest.mark.parametrize(
    "path",
    [
        "/admin/kpi/?period=2",
        "/admin/kpi/export.csv?period=2",
        "/admin/kpi/export.json?period=2",
        "/admin/kpi/?to=9999-12-31",
        "/admin/",
        "/admin/no-such-page",
    ],
)
def test_admin_answers_are_never_stored_by_a_cache(client, session, path):
    log_in(client, session)
    response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/admin/kpi/", "/admin/kpi/export.csv"])
def test_admin_redirect_to_the_login_is_never_stored(client, path):
    response = client.get(path)
    assert response.status_code in (302, 303)
    assert response.headers["Cache-Control"] == "no-store"


def test_charts_escape_text_and_say_when_empty():
    svg = ET.fromstring(charts.lines("A <b> & c", ["x"], {"s&p": [0]}))
    assert svg.find(f"{SVG}title").text == "A <b> & c"
    assert svg.find(f"{SVG}text[@class='no-data']") is not None
    bars = ET.fromstring(charts.horizontal_bars("t", ['"q" <x>'], [3]))
    [rect] = [r for r in bars.iter(f"{SVG}rect") if r.get("data-value")]
    assert rect.get("data-label") == '"q" <x>'
