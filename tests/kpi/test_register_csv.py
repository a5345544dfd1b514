"""The KPI export's register lines: one per deliverable, with its outputs' figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from comms.catalogue.models import Deliverable, Item, WorkPackage
from comms.kpi.export import CSV_COLUMNS
from tests.admin.helpers import log_in_as, make_user
from tests.kpi.activity import make_activity


@pytest.fixture
def activity(session, store):  # type: ignore[no-untyped-def]
    make_activity(session, store)
    t1 = WorkPackage(code="T1", title="StressTest")
    wp2 = WorkPackage(code="WP2", title="Communication")
    stress = Deliverable(code="D.T1.2.1", title="StressTest reports", work_package=t1,
                         due=date(2018, 6, 30))  # fmt: skip
    films = Deliverable(code="D2.2", title="Short films", work_package=wp2,
                        due=date(2018, 9, 30))  # fmt: skip
    later = Deliverable(code="D2.3", title="Action plan", work_package=wp2,
                        due=date(2019, 3, 31))  # fmt: skip
    session.add_all([t1, wp2, stress, films, later])
    r1 = session.scalars(select(Item).where(Item.slug == "r1")).one()
    r1.deliverables = [stress]
    c = session.scalars(select(Item).where(Item.slug == "c")).one()
    c.deliverables = [films]  # a press release: any kind may be an output
    session.commit()


def test_kpi_csv_has_one_register_line_per_deliverable(runner, activity):
    result = runner.invoke(args=["kpi", "--period", "2", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    lines = {r["deliverable"]: r for r in rows if r["section"] == "register"}
    assert list(lines) == ["D.T1.2.1", "D2.2", "D2.3"]
    stress = lines["D.T1.2.1"]
    assert {k: stress[k] for k in ("work_package", "title", "due", "state")} == {
        "work_package": "T1", "title": "StressTest reports", "due": "2018-06-30",
        "state": "delivered",
    }  # fmt: skip
    figures = ("value", "outputs", "views", "downloads")
    assert [stress[k] for k in figures] == ["1", "1", "7", "4"]
    assert (lines["D2.2"]["state"], lines["D2.2"]["outputs"]) == ("delivered", "1")
    assert (lines["D2.3"]["state"], lines["D2.3"]["value"]) == ("due", "0")
    outputs = [r for r in rows if r["section"] == "deliverable"]
    assert sorted((r["deliverable"], r["slug"]) for r in outputs) == [
        ("D.T1.2.1", "r1"), ("D2.2", "c"),
    ]  # fmt: skip


def test_kpi_json_and_table_carry_the_register(runner, activity):
    data = json.loads(
        runner.invoke(args=["kpi", "--period", "2", "--format", "json"]).stdout
    )
    assert [r["deliverable"] for r in data["register"]] == ["D.T1.2.1", "D2.2", "D2.3"]
    table = runner.invoke(args=["kpi", "--period", "2"]).stdout
    assert "D2.3" in table and "Action plan" in table


def test_figures_page_lists_the_register(activity, app):  # type: ignore[no-untyped-def]
    client = app.test_client()
    with app.extensions["comms"].sessionmaker() as session:
        log_in_as(client, make_user(session, "officer@example.org"))
    page = client.get("/admin/kpi/?period=2").get_data(as_text=True)
    section = page[page.index("Register of deliverables") :]
    assert 'href="/admin/kpi/deliverables/D2.3/"' in section
    assert "Action plan" in section and "delivered" in section
