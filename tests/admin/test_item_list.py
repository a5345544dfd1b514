"""The admin item list: search, filters, sorting, pages and bulk actions."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from comms.admin.models import AuditEntry
from comms.catalogue.models import Item
from tests.admin.helpers import png_bytes, post
from tests.factories import future, make_item


def _titles(html: str) -> list[str]:
    """The item titles the list shows, in order."""
    return [
        unescape(t) for t in re.findall(r'href="/admin/items/\d+/">([^<]*)</a>', html)
    ]


def _flashes(html: str) -> str:
    found = re.search(r'<div class="flashes" role="status">(.*?)</div>', html, re.S)
    return unescape(found.group(1)) if found else ""


def test_search_finds_words_of_the_summary_too(editor_client, session):
    make_item(session, title="Cluster policy", summary="About the Alpine regions")
    make_item(session, title="Unrelated", summary="Nothing here")
    html = editor_client.get("/admin/items/?q=alpine").get_data(as_text=True)
    assert _titles(html) == ["Cluster policy"]


def test_filters_by_region_and_topic_combine(editor_client, session):
    make_item(session, title="Both", regions=["lombardia"], tags=["clusters"])
    make_item(session, title="Region only", regions=["lombardia"], tags=["energy"])
    make_item(session, title="Topic only", regions=["bayern"], tags=["clusters"])
    html = editor_client.get("/admin/items/?region=lombardia&tag=clusters").get_data(
        as_text=True
    )
    assert _titles(html) == ["Both"]
    assert 'value="lombardia" selected' in html and 'value="clusters" selected' in html


def test_scheduled_and_published_are_told_apart(editor_client, session):
    make_item(session, title="Out now")
    make_item(session, title="Coming", published_at=future(3))
    published = editor_client.get("/admin/items/?status=published").get_data(
        as_text=True
    )
    scheduled = editor_client.get("/admin/items/?status=scheduled").get_data(
        as_text=True
    )
    assert _titles(published) == ["Out now"]
    assert _titles(scheduled) == ["Coming"]


def test_sorts_by_title_and_by_publication_date(editor_client, session):
    make_item(session, title="beta", published_at=future(-30))
    make_item(session, title="Alpha", published_at=future(-10))
    make_item(session, title="gamma", status="draft", published_at=None)
    by_title = editor_client.get("/admin/items/?sort=title").get_data(as_text=True)
    assert _titles(by_title) == ["Alpha", "beta", "gamma"]
    by_date = editor_client.get("/admin/items/?sort=published").get_data(as_text=True)
    assert _titles(by_date) == ["Alpha", "beta", "gamma"]  # never published: last


def test_pages_keep_the_filters(editor_client, session):
    for n in range(35):
        make_item(session, title=f"Report {n:02d}", kind="report", tags=["clusters"])
    make_item(session, title="Other kind", tags=["clusters"])
    first = editor_client.get("/admin/items/?kind=report&tag=clusters&sort=title")
    html = first.get_data(as_text=True)
    assert len(_titles(html)) == 30 and "35 items" in html and "page 1 of 2" in html
    next_link = re.search(r'<a rel="next" href="([^"]+)"', html)
    assert next_link is not None
    url = unescape(next_link.group(1))
    assert "kind=report" in url and "tag=clusters" in url and "sort=title" in url
    second = editor_client.get(url).get_data(as_text=True)
    assert _titles(second) == [f"Report {n:02d}" for n in range(30, 35)]


def test_unknown_filter_values_are_refused_with_the_reason(editor_client):
    answer = editor_client.get("/admin/items/?sort=price")
    assert answer.status_code == 422
    assert "sort: use one of updated, published, title" in answer.get_data(as_text=True)
    assert editor_client.get("/admin/items/?page=x").status_code == 400


def test_bulk_archive_changes_each_item_with_one_audit_entry_each(
    editor_client, session
):
    items = [make_item(session, title=f"Old news {n}") for n in range(3)]
    kept = make_item(session, title="Still news")
    ids = [str(i.id) for i in items]
    answer = post(
        editor_client,
        "/admin/items/bulk",
        {"action": "archive", "ids": ids, "back": "/admin/items/?kind=press_release"},
    )
    assert answer.status_code == 303
    assert answer.location == "/admin/items/?kind=press_release"
    html = editor_client.get(answer.location).get_data(as_text=True)
    assert "Archived 3 items: Old news 0; Old news 1; Old news 2." in _flashes(html)
    session.expire_all()
    assert [session.get(Item, i.id).status for i in items] == ["archived"] * 3
    assert session.get(Item, kept.id).status == "published"
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "archive")
    ).all()
    assert sorted(e.target_id for e in entries) == sorted(ids)


def test_bulk_delete_removes_drafts_and_refuses_the_others_saying_why(
    editor_client, session, store
):
    sha = store.put(png_bytes())
    draft = make_item(
        session,
        title="Abandoned draft",
        status="draft",
        published_at=None,
        image=f"/media/images/{sha}.png",
    )
    live = make_item(session, title="Live item")
    draft_id, live_id = draft.id, live.id
    answer = post(
        editor_client,
        "/admin/items/bulk",
        {"action": "delete", "ids": [str(draft_id), str(live_id)]},
    )
    flashed = _flashes(editor_client.get(answer.location).get_data(as_text=True))
    assert "Deleted 1 item: Abandoned draft." in flashed
    assert (
        "Not deleted: Live item (published: only drafts can be deleted; "
        "unpublish it first)." in flashed
    )
    session.expunge_all()
    assert session.get(Item, draft_id) is None
    assert session.get(Item, live_id).status == "published"
    assert not store.path_for(sha).exists()  # nothing else used the image
    deleted = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "delete")
    ).one()
    assert deleted.target_id == str(draft_id) and deleted.before["title"] == (
        "Abandoned draft"
    )


def test_bulk_publish_and_unpublish_go_through_the_service_rules(
    editor_client, session
):
    draft = make_item(session, title="Ready", status="draft", published_at=None)
    done = make_item(session, title="Already out")
    answer = post(
        editor_client,
        "/admin/items/bulk",
        {"action": "publish", "ids": [str(draft.id), str(done.id)]},
    )
    flashed = _flashes(editor_client.get(answer.location).get_data(as_text=True))
    assert "Published 1 item: Ready." in flashed
    assert "Not published: Already out (already published)." in flashed
    session.expire_all()
    published = session.get(Item, draft.id)
    assert published.status == "published" and published.published_at is not None
    post(
        editor_client,
        "/admin/items/bulk",
        {"action": "unpublish", "ids": [str(draft.id)]},
    )
    session.expire_all()
    assert session.get(Item, draft.id).status == "draft"


def test_bulk_action_without_rows_or_with_a_bad_action_is_refused(
    editor_client, session
):
    item = make_item(session)
    nothing = post(editor_client, "/admin/items/bulk", {"action": "archive"})
    assert nothing.status_code == 422
    assert "tick at least one item" in nothing.get_data(as_text=True)
    bad = post(
        editor_client, "/admin/items/bulk", {"action": "explode", "ids": [str(item.id)]}
    )
    assert bad.status_code == 422
    assert "action: use one of publish, unpublish, archive, delete" in (
        bad.get_data(as_text=True)
    )
    odd = post(editor_client, "/admin/items/bulk", {"action": "archive", "ids": ["1x"]})
    assert odd.status_code == 422
    session.expire_all()
    assert session.get(Item, item.id).status == "published"


def test_bulk_redirect_stays_on_the_item_list(editor_client, session):
    item = make_item(session)
    answer = post(
        editor_client,
        "/admin/items/bulk",
        {"action": "archive", "ids": [str(item.id)], "back": "https://evil.example/"},
    )
    assert answer.location == "/admin/items/"
