"""The optional review step (COMMS_REVIEW_REQUIRED): editors ask, admins decide."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from comms.admin.models import AuditEntry, ReviewRequest
from comms.catalogue.models import Item
from tests.admin.helpers import post
from tests.factories import future, make_item


@pytest.fixture
def settings(settings, request):  # type: ignore[no-untyped-def]
    """Review on, unless the test is marked review_off."""
    if request.node.get_closest_marker("review_off"):
        return settings
    return replace(settings, review_required=True)


def _draft(session) -> Item:  # type: ignore[no-untyped-def]
    return make_item(session, slug="launch", title="Launch news", status="draft",
                     published_at=None)  # fmt: skip


def _public(client) -> bool:  # type: ignore[no-untyped-def]
    page = client.get("/press-releases/launch/").status_code == 200
    feeds = ["/feed.xml", "/feed.json", "/press-releases/feed.atom"]
    listed = any("Launch news" in client.get(f).get_data(as_text=True) for f in feeds)
    home = "Launch news" in client.get("/").get_data(as_text=True)
    return page or listed or home


def test_editor_publish_waits_in_review_until_an_admin_approves(
    editor_client, admin_client, app, session
):
    item = _draft(session)
    answer = post(
        editor_client, f"/admin/items/{item.id}/status", {"action": "publish"}
    )
    assert answer.status_code == 303
    session.expire_all()
    assert session.get(Item, item.id).status == "draft"
    visitor = app.test_client()
    assert visitor.get("/press-releases/launch/").status_code == 404
    assert not _public(visitor)
    editor_page = editor_client.get(answer.location).get_data(as_text=True)
    assert "In review:" in editor_page
    queue = admin_client.get("/admin/review/")
    html = queue.get_data(as_text=True)
    assert queue.status_code == 200
    assert "Launch news" in html and "editor@example.org asked to" in html
    assert f'href="/admin/items/{item.id}/"' in html  # open and preview
    [asked] = session.scalars(select(ReviewRequest)).all()
    approved = post(admin_client, f"/admin/review/{asked.id}/approve")
    assert approved.status_code == 303
    assert visitor.get("/press-releases/launch/").status_code == 200
    assert "Launch news" in visitor.get("/feed.xml").get_data(as_text=True)
    session.expire_all()
    assert session.scalars(select(ReviewRequest)).all() == []
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["review-request", "publish", "review-approve"]


def test_editor_schedule_is_carried_out_as_asked_on_approval(
    editor_client, admin_client, app, session
):
    item = _draft(session)
    when = future(3).replace(second=0)
    asked_at = when.strftime("%Y-%m-%dT%H:%M")
    post(
        editor_client,
        f"/admin/items/{item.id}/status",
        {"action": "schedule", "published_at": asked_at},
    )
    session.expire_all()
    assert (
        session.get(Item, item.id).status,
        session.get(Item, item.id).published_at,
    ) == ("draft", None)
    asked = session.scalars(select(ReviewRequest)).one()
    assert (asked.action, asked.publish_at) == ("schedule", when)
    post(admin_client, f"/admin/review/{asked.id}/approve")
    session.expire_all()
    saved = session.get(Item, item.id)
    assert (saved.status, saved.published_at) == ("published", when)
    assert app.test_client().get("/press-releases/launch/").status_code == 404


def test_admin_sends_back_with_a_comment_the_editor_sees(
    editor_client, admin_client, session
):
    item = _draft(session)
    post(editor_client, f"/admin/items/{item.id}/status", {"action": "publish"})
    asked = session.scalars(select(ReviewRequest)).one()
    empty = post(admin_client, f"/admin/review/{asked.id}/return", {"comment": " "})
    assert empty.status_code == 422
    assert "say what the editor should change" in empty.get_data(as_text=True)
    back = post(admin_client, f"/admin/review/{asked.id}/return",
                {"comment": "Add the partners' names, please."})  # fmt: skip
    assert back.status_code == 303
    page = editor_client.get(f"/admin/items/{item.id}/").get_data(as_text=True)
    assert "Sent back by admin@example.org" in page
    assert "Add the partners&#39; names, please." in page
    assert "Nothing waits for review." in admin_client.get("/admin/review/").get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(Item, item.id).status == "draft"
    # Asking again puts it back in the queue, without the old comment.
    post(editor_client, f"/admin/items/{item.id}/status", {"action": "publish"})
    session.expire_all()
    again = session.scalars(select(ReviewRequest)).one()
    assert (again.state, again.comment) == ("pending", "")


def test_editor_cannot_bypass_the_review(editor_client, app, session):
    item = _draft(session)
    schedule = {"action": "schedule", "published_at": "2020-01-01T09:00"}
    for data in ({"action": "publish"}, schedule):
        assert (
            post(editor_client, f"/admin/items/{item.id}/status", data).status_code
            == 303
        )
        session.expire_all()
        assert session.get(Item, item.id).status == "draft"
    asked = session.scalars(select(ReviewRequest)).one()
    assert editor_client.get("/admin/review/").status_code == 403
    assert post(editor_client, f"/admin/review/{asked.id}/approve").status_code == 403
    assert post(editor_client, f"/admin/review/{asked.id}/return",
                {"comment": "ok"}).status_code == 403  # fmt: skip
    assert app.test_client().get("/press-releases/launch/").status_code == 404


def test_admin_publishes_directly_and_clears_a_request(
    editor_client, admin_client, app, session
):
    item = _draft(session)
    post(editor_client, f"/admin/items/{item.id}/status", {"action": "publish"})
    post(admin_client, f"/admin/items/{item.id}/status", {"action": "publish"})
    assert app.test_client().get("/press-releases/launch/").status_code == 200
    assert session.scalars(select(ReviewRequest)).all() == []


@pytest.mark.review_off
def test_without_review_an_editor_publishes_as_before(editor_client, app, session):
    item = _draft(session)
    post(editor_client, f"/admin/items/{item.id}/status", {"action": "publish"})
    assert app.test_client().get("/press-releases/launch/").status_code == 200
    assert session.scalars(select(ReviewRequest)).all() == []
