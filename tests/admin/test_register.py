"""The register of work packages and deliverables: admin pages, links, figures."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from comms.admin.models import AuditEntry
from comms.catalogue.models import Deliverable, Item, ItemDeliverable, WorkPackage
from comms.kpi import counting
from tests.admin.helpers import post
from tests.admin.test_items import fields
from tests.factories import make_item, past


def _register(session) -> Deliverable:  # type: ignore[no-untyped-def]
    package = WorkPackage(code="WP2", title="Communication")
    found = Deliverable(
        code="D2.1", title="Communication plan", work_package=package,
        due=date(2027, 3, 31), description="",
    )  # fmt: skip
    session.add_all([package, found])
    session.commit()
    return found


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(model)))


def test_officer_adds_a_work_package_and_a_deliverable(editor_client, session):
    answer = post(editor_client, "/admin/deliverables/work-packages/",
                  {"code": "WP2", "title": "Communication"})  # fmt: skip
    assert answer.status_code == 303
    answer = post(editor_client, "/admin/deliverables/new", {
        "code": "D2.1", "title": "Communication plan", "work_package": "WP2",
        "due": "2027-03-31", "description": "The plan."})  # fmt: skip
    assert answer.status_code == 303
    assert answer.location == "/admin/kpi/deliverables/D2.1/"
    page = editor_client.get("/admin/deliverables/").get_data(as_text=True)
    assert "WP2 · Communication" in page and "D2.1" in page and "2027-03-31" in page
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
    assert actions.all() == ["work-package-create", "deliverable-create"]
    saved = session.scalars(select(Deliverable)).one()
    assert (saved.code, saved.work_package.code, saved.due) == (
        "D2.1", "WP2", date(2027, 3, 31),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "2.1"}, "is not a deliverable code"),
        ({"code": "d2.1"}, "is not a deliverable code"),
        ({"code": "D2.1"}, "D2.1 is already a deliverable"),
        ({"due": "31/03/2027"}, "is not a date like 2027-03-31"),
        ({"due": ""}, "due: required"),
        ({"title": ""}, "title: required"),
        ({"work_package": "WP9"}, "WP9 is not in the register"),
        ({"work_package": "work package 2"}, "is not a work package code"),
    ],
)
def test_bad_deliverable_is_refused_with_its_reason(
    editor_client, session, data, message
):
    _register(session)
    form = {"code": "D2.2", "title": "Website", "work_package": "WP2",
            "due": "2027-06-30", **data}  # fmt: skip
    answer = post(editor_client, "/admin/deliverables/new", form)
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert _count(session, Deliverable) == 1


def test_bad_work_package_code_is_refused(editor_client, session):
    answer = post(editor_client, "/admin/deliverables/work-packages/",
                  {"code": "wp 2", "title": "Communication"})  # fmt: skip
    assert answer.status_code == 422
    assert "is not a work package code" in answer.get_data(as_text=True)
    assert _count(session, WorkPackage) == 0


def test_deliverable_edit_and_delete_refused_while_linked(editor_client, session):
    found = _register(session)
    item = make_item(session, slug="plan")
    item.deliverables = [found]
    session.commit()
    answer = post(editor_client, f"/admin/deliverables/{found.id}/edit", {
        "code": "D2.1", "title": "Communication plan v2", "work_package": "WP2",
        "due": "2027-04-30"})  # fmt: skip
    assert answer.status_code == 303
    refused = post(editor_client, f"/admin/deliverables/{found.id}/delete")
    assert refused.status_code == 409
    assert "1 output(s) are linked" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(Deliverable, found.id).title == "Communication plan v2"
    item.deliverables = []
    session.commit()
    assert (
        post(editor_client, f"/admin/deliverables/{found.id}/delete").status_code == 303
    )
    assert _count(session, Deliverable) == 0


@pytest.mark.parametrize("kind", ["press_release", "event", "video", "report"])
def test_editor_links_an_output_of_any_kind(editor_client, session, kind):
    _register(session)
    extra = {"starts_at": past(2), "ends_at": past(1)} if kind == "event" else {}
    item = make_item(session, kind=kind, slug="output", **extra)
    page = editor_client.get(f"/admin/items/{item.id}/").get_data(as_text=True)
    assert 'name="deliverables" value="D2.1"' in page
    form = fields(page)
    form.pop("deliverables", None)
    answer = editor_client.post(
        f"/admin/items/{item.id}/",
        data={**form, "csrf_token": "test-csrf-token", "action": "save",
              "deliverables": ["D2.1"]},
    )  # fmt: skip
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    session.expire_all()
    assert [d.code for d in session.get(Item, item.id).deliverables] == ["D2.1"]
    again = editor_client.get(f"/admin/items/{item.id}/").get_data(as_text=True)
    assert 'value="D2.1" checked' in again
    # Unticking every box (the control is still sent) removes the link.
    form = fields(again)
    form.pop("deliverables", None)
    answer = editor_client.post(f"/admin/items/{item.id}/", data={
        **form, "csrf_token": "test-csrf-token", "action": "save"})  # fmt: skip
    assert answer.status_code == 303
    session.expire_all()
    assert session.get(Item, item.id).deliverables == []


def test_editor_refuses_an_unknown_deliverable(editor_client, session):
    _register(session)
    item = make_item(session, slug="output")
    form = fields(editor_client.get(f"/admin/items/{item.id}/").get_data(as_text=True))
    answer = post(editor_client, f"/admin/items/{item.id}/",
                  {**form, "action": "save", "deliverables": "D9.9"})  # fmt: skip
    assert answer.status_code == 422
    assert "D9.9 not in the register" in answer.get_data(as_text=True)
    bad = post(editor_client, f"/admin/items/{item.id}/",
               {**form, "action": "save", "deliverables": "=cmd"})  # fmt: skip
    assert bad.status_code == 422
    assert _count(session, ItemDeliverable) == 0


def test_deliverable_page_lists_outputs_and_their_figures(editor_client, session):
    found = _register(session)
    report = make_item(session, kind="report", slug="plan-report", title="Plan")
    make_item(session, kind="report", slug="plan-report", language="de",
              translation="plan-report", title="Plan (de)")  # fmt: skip
    video = make_item(session, kind="video", slug="plan-film", title="Film",
                      view_count=321)  # fmt: skip
    draft = make_item(session, slug="plan-news", title="Draft news", status="draft",
                      published_at=None)  # fmt: skip
    for item in (report, video, draft):
        item.deliverables = [found]
    session.commit()
    today = counting.today()
    for metric, key, n in (
        (counting.ITEM_VIEW, "reports/plan-report", 12),
        (counting.DOWNLOAD, "plan-report/plan.pdf", 5),
        (counting.ITEM_VIEW, "videos/plan-film", 3),
    ):
        counting.record(session, metric, key, day=today, amount=n)
    session.commit()
    page = editor_client.get("/admin/kpi/deliverables/D2.1/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "D2.1 · Communication plan" in html and "2027-03-31" in html
    for text in ("Plan", "Film", "Draft news", "de, en", "draft", "321"):
        assert text in html
    row = html[html.index('data-slug="plan-report"') :]
    row = row[: row.index("</tr>")]
    assert ">12<" in row and ">5<" in row
    assert editor_client.get("/admin/kpi/deliverables/D7.7/").status_code == 404
