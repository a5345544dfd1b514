"""The item editor: drafts, validation, preview, conflicts, publishing, audit."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser

from sqlalchemy import select

from comms.admin import service
from comms.admin.forms import parse_item_form
from comms.admin.models import AuditEntry
from comms.catalogue.models import Item
from tests.admin.helpers import log_in_as, post
from tests.factories import future, make_item

LANGS = ["en", "de", "fr", "it", "sl"]


class _Fields(HTMLParser):
    """The values of a page's form fields by name."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        checkable = a.get("type") in ("checkbox", "radio")
        if tag == "input" and a.get("name") and (not checkable or "checked" in a):
            self.values.setdefault(a["name"] or "", a.get("value") or "")
        if tag == "select":
            self._select = a.get("name")
        if tag == "option" and self._select and "selected" in a:
            self.values.setdefault(self._select, a.get("value") or "")
        if tag == "textarea":
            self._textarea = a.get("name")
            self.values[self._textarea or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def fields(html: str) -> dict[str, str]:
    parser = _Fields()
    parser.feed(html)
    return parser.values


def _new_press_release(client, **overrides):  # type: ignore[no-untyped-def]
    data = {"title": "First results", "language": "en", "summary": "S",
            "body": "Hello *world*", "tags": "clusters, Smart Specialisation",
            "regions": "bayern", "action": "save"}  # fmt: skip
    data.update(overrides)
    return post(client, "/admin/items/new/press-releases", data)


def test_new_press_release_is_saved_as_a_draft(editor_client, session) -> None:
    response = _new_press_release(editor_client)
    assert response.status_code == 303
    item = session.scalars(select(Item).where(Item.slug == "first-results")).one()
    assert item.status == "draft"
    assert item.translation == "first-results"
    assert [t.name for t in item.tags] == ["clusters", "smart-specialisation"]
    assert item.body_html == "<p>Hello <em>world</em></p>\n"
    assert editor_client.get("/press-releases/first-results/").status_code == 404


def test_failed_validation_keeps_what_was_typed(editor_client, session) -> None:
    response = _new_press_release(
        editor_client, title="", body="My long text\nwith two lines", regions="atlantis"
    )
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "title: required" in html
    assert "'atlantis' is not a partner region" in html
    assert fields(html)["body"] == "My long text\nwith two lines"
    assert session.scalars(select(Item)).first() is None


def test_preview_renders_sanitised_markdown_without_saving(
    editor_client, session
) -> None:
    response = _new_press_release(
        editor_client, body="**Bold** <script>alert(1)</script>", action="preview"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in html
    assert "<script>alert(1)" not in html
    assert fields(html)["body"] == "**Bold** <script>alert(1)</script>"
    assert session.scalars(select(Item)).first() is None


def test_concurrent_edit_gets_the_conflict_message(
    app, session, editor, admin_user
) -> None:
    item = make_item(session, title="Shared", body="Original")
    first, second = app.test_client(), app.test_client()
    log_in_as(first, editor)
    log_in_as(second, admin_user)
    form_a = fields(first.get(f"/admin/items/{item.id}/").get_data(as_text=True))
    form_b = fields(second.get(f"/admin/items/{item.id}/").get_data(as_text=True))
    assert form_a["version"] == form_b["version"]
    saved = post(first, f"/admin/items/{item.id}/",
                 {**form_a, "body": "Editor's text", "action": "save"})  # fmt: skip
    rewrite = {**form_b, "body": "Admin's careful rewrite", "action": "save"}
    lost = post(second, f"/admin/items/{item.id}/", rewrite)
    assert saved.status_code == 303
    assert lost.status_code == 409
    html = unescape(lost.get_data(as_text=True))
    assert "edit conflict" in html
    assert fields(html)["body"] == "Admin's careful rewrite"
    session.expire_all()
    assert session.get(Item, item.id).body == "Editor's text"


def test_simultaneous_saves_in_two_sessions_do_not_overwrite(app, editor) -> None:
    maker = app.extensions["comms"].sessionmaker
    with maker() as s0:
        item_id = make_item(s0, title="Race").id
    draft, problems = parse_item_form(
        "press_release", {"title": "A", "slug": "race", "language": "en"},
        languages=LANGS, regions=None,
    )  # fmt: skip
    assert not problems
    with maker() as one, maker() as two:
        one_user, two_user = one.merge(editor), two.merge(editor)
        one.get(Item, item_id), two.get(Item, item_id)  # both read version 1
        service.update_item(one, one_user, item_id, draft, expected_version=1,
                            now=future(0))  # fmt: skip
        try:
            service.update_item(two, two_user, item_id, draft, expected_version=1,
                                now=future(0))  # fmt: skip
        except service.EditConflict as exc:
            assert "Someone else saved this item" in str(exc)
        else:
            raise AssertionError("the second save went through")


def test_schedule_then_publish_then_unpublish_then_archive(
    editor_client, session
) -> None:
    item = make_item(session, status="draft", published_at=None, slug="launch")
    url = f"/admin/items/{item.id}/status"
    when = future(3).strftime("%Y-%m-%dT%H:%M")
    assert (
        post(
            editor_client, url, {"action": "schedule", "published_at": when}
        ).status_code
        == 303
    )
    assert editor_client.get("/press-releases/launch/").status_code == 404
    dash = editor_client.get("/admin/").get_data(as_text=True)
    assert "Nothing scheduled" not in dash and item.title in dash
    post(editor_client, url, {"action": "publish"})
    assert editor_client.get("/press-releases/launch/").status_code == 200
    assert "launch" in editor_client.get("/").get_data(as_text=True)
    post(editor_client, url, {"action": "unpublish"})
    assert editor_client.get("/press-releases/launch/").status_code == 404
    post(editor_client, url, {"action": "archive"})
    session.expire_all()
    assert session.get(Item, item.id).status == "archived"
    bad = post(editor_client, url, {"action": "schedule", "published_at": "soon"})
    assert bad.status_code == 422


def test_translation_is_linked_to_its_original(editor_client, session) -> None:
    item = make_item(session, slug="results", tags=["clusters"])
    response = post(
        editor_client, f"/admin/items/{item.id}/translations", {"language": "de"}
    )
    copy = session.scalars(select(Item).where(Item.language == "de")).one()
    assert response.location == f"/admin/items/{copy.id}/"
    assert (copy.slug, copy.translation, copy.status) == ("results", "results", "draft")
    assert [t.name for t in copy.tags] == ["clusters"]
    again = post(
        editor_client, f"/admin/items/{item.id}/translations", {"language": "de"}
    )
    assert again.status_code == 422


def test_video_overrides_are_saved_and_hidden_leaves_the_site(
    editor_client, session
) -> None:
    video = make_item(session, kind="video", slug="film", title="Synced title")
    assert editor_client.get("/videos/film/").status_code == 200
    form = fields(editor_client.get(f"/admin/items/{video.id}/").get_data(as_text=True))
    response = post(editor_client, f"/admin/items/{video.id}/", {
        **form, "override_title": "Local title", "override_summary": "Local summary",
        "override_tags": "clusters", "hidden": "1", "action": "save"})  # fmt: skip
    assert response.status_code == 303
    session.expire_all()
    saved = session.get(Item, video.id)
    assert (saved.title, saved.override_title) == ("Synced title", "Local title")
    assert saved.override_tags == ["clusters"] and saved.hidden
    assert editor_client.get("/videos/film/").status_code == 404


def test_every_change_is_in_the_audit_log(editor_client, admin_client, session) -> None:
    _new_press_release(editor_client)
    item = session.scalars(select(Item)).one()
    form = fields(editor_client.get(f"/admin/items/{item.id}/").get_data(as_text=True))
    post(
        editor_client,
        f"/admin/items/{item.id}/",
        {**form, "title": "Better", "action": "save"},
    )
    post(editor_client, f"/admin/items/{item.id}/status", {"action": "publish"})
    entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["create", "update", "publish"]
    assert all(e.user_email == "editor@example.org" for e in entries)
    update = entries[1]
    assert (update.before["title"], update.after["title"]) == (
        "First results",
        "Better",
    )
    assert update.before["status"] == "draft"
    page = admin_client.get("/admin/audit/").get_data(as_text=True)
    assert "editor@example.org" in page and "First results" in page


def test_item_list_searches_and_filters(editor_client, session) -> None:
    make_item(session, title="Alpine clusters meet", status="draft", published_at=None)
    make_item(session, title="Unrelated news")
    page = editor_client.get("/admin/items/?q=alpine&status=draft").get_data(
        as_text=True
    )
    assert "Alpine clusters meet" in page and "Unrelated news" not in page
    assert editor_client.get("/admin/items/?kind=nonsense").status_code == 422


def test_dashboard_shows_drafts_last_video_sync_and_newsletters(
    editor_client, session
) -> None:
    from comms.catalogue.models import Newsletter
    from comms.videos.models import SyncRun

    make_item(session, title="Unfinished draft", status="draft", published_at=None)
    session.add(SyncRun(outcome="ok", total=7, new=2, running=None))
    session.add(Newsletter(slug="n1", language="en", translation="n1",
                           title="Issue one", status="draft"))  # fmt: skip
    session.commit()
    page = editor_client.get("/admin/").get_data(as_text=True)
    assert "Unfinished draft" in page
    assert "Outcome" in page and ">ok<" in page and ">7<" in page
    assert "Issue one" in page and "not sent" in page
