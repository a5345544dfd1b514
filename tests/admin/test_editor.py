"""The item editor: publish in one request, site-zone schedule, live preview,
autosave and its conflicts, named regions, topic suggestions, revisions."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from comms import kinds
from comms.admin import revisions
from comms.admin.models import AuditEntry, ItemRevision
from comms.catalogue.models import Item
from comms.text import slugify
from tests.admin.helpers import png_bytes, post
from tests.factories import make_item

NEW = "/admin/items/new/press-releases"


def _values(item: Item, **typed: str) -> dict[str, Any]:
    values = {
        "title": item.title, "slug": item.slug, "language": item.language,
        "summary": item.summary, "body": item.body, "version": str(item.version),
    }  # fmt: skip
    return {**values, **typed}


@pytest.fixture
def content_dir(content_dir):  # type: ignore[no-untyped-def]
    """The test site, in Zurich's time zone (UTC+1, +2 in summer)."""
    site = content_dir / "site.yml"
    site.write_text(site.read_text() + "timezone: Europe/Zurich\n")
    return content_dir


def _revisions(session, item_id: int) -> list[ItemRevision]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return revisions.list_revisions(session, item_id)


# --- publish in one go -----------------------------------------------------------


def test_new_press_release_with_image_is_published_in_one_request(
    editor_client, client, session
) -> None:
    response = post(
        editor_client, NEW,
        {"title": "Zürich Ökonomie", "language": "en", "body": "Clusters **grow**.",
         "image": (io.BytesIO(png_bytes()), "map.png"), "image_alt": "A map",
         "action": "publish"},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 303
    item = session.scalars(select(Item).where(Item.title == "Zürich Ökonomie")).one()
    assert item.slug == "zurich-okonomie" == slugify("Zürich Ökonomie")
    assert item.status == "published" and item.image
    assert item.details["image_alt"] == "A map"
    page = client.get("/press-releases/zurich-okonomie/").get_data(as_text=True)
    assert "Zürich Ökonomie" in page and "<strong>grow</strong>" in page
    assert item.image.rsplit("/", 1)[-1] in page
    assert len(_revisions(session, item.id)) == 1


def test_refused_image_on_a_new_item_keeps_everything_typed(
    editor_client, session
) -> None:
    response = post(
        editor_client, NEW,
        {"title": "Typed before the upload", "language": "en",
         "body": "A long body typed before.", "tags": "clusters",
         "regions": ["lombardia", "bayern"], "image_alt": "A map",
         "image": (io.BytesIO(b"not an image"), "map.png"), "action": "publish"},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "image: not an image Pillow can read" in page
    assert 'value="Typed before the upload"' in page
    assert "A long body typed before." in page
    assert 'value="lombardia" checked' in page and 'value="bayern" checked' in page
    assert session.scalars(select(Item)).first() is None  # nothing half-saved


def test_schedule_is_read_in_the_site_time_zone_and_stored_as_utc(
    editor_client, session
) -> None:
    item = make_item(session, status="draft", published_at=None)
    response = post(
        editor_client, f"/admin/items/{item.id}/",
        _values(item, action="schedule", publish_at="2099-07-01T10:30:15"),
    )  # fmt: skip
    assert response.status_code == 303
    session.expire_all()
    assert item.published_at == datetime(2099, 7, 1, 8, 30, 15, tzinfo=UTC)
    page = editor_client.get(f"/admin/items/{item.id}/").get_data(as_text=True)
    assert "Scheduled for 2099-07-01 10:30 (Europe/Zurich time)" in page
    assert 'value="2099-07-01T10:30:15"' in page


def test_a_schedule_without_a_time_is_refused_and_keeps_the_text(
    editor_client, session
) -> None:
    item = make_item(session, status="draft", published_at=None)
    response = post(
        editor_client, f"/admin/items/{item.id}/",
        _values(item, title="Kept title", action="schedule", publish_at="soon"),
    )  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "publish_at: choose a date and time" in page
    assert 'value="Kept title"' in page


def test_unpublish_and_archive_from_the_editor_also_save_the_text(
    editor_client, session
) -> None:
    item = make_item(session)
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, title="Taken down", action="unpublish"))  # fmt: skip
    session.expire_all()
    assert (item.status, item.title) == ("draft", "Taken down")
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, action="archive"))  # fmt: skip
    session.expire_all()
    assert item.status == "archived"


# --- preview ---------------------------------------------------------------------


def test_live_preview_is_sanitised_by_the_site_renderer(editor_client) -> None:
    body = "Hello **world**\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"
    response = post(
        editor_client, "/admin/items/preview",
        {"title": "Zürich <b>Ökonomie</b>", "summary": "S", "body": body},
    )  # fmt: skip
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<strong>world</strong>" in html
    assert "<script" not in html and "onerror" not in html
    assert "Zürich &lt;b&gt;Ökonomie&lt;/b&gt;" in html
    assert 'data-slug="zurich-b-okonomie-b"' in html


def test_preview_needs_the_csrf_token(editor_client) -> None:
    response = editor_client.post("/admin/items/preview", data={"body": "x"})
    assert response.status_code == 400


def test_editor_shows_the_preview_beside_the_text(editor_client, session) -> None:
    item = make_item(session, body="Some *emphasis*")
    page = editor_client.get(f"/admin/items/{item.id}/").get_data(as_text=True)
    assert '<div id="live-preview">' in page and "<em>emphasis</em>" in page
    assert page.index('id="publish-h"') < page.index('id="f-body"')  # panel on top
    assert 'src="/static/admin/editor.' in page and "<script>" not in page


# --- autosave --------------------------------------------------------------------


def test_autosave_saves_a_draft_and_folds_into_one_revision(
    editor_client, session
) -> None:
    item = make_item(session, status="draft", published_at=None)
    url = f"/admin/items/{item.id}/autosave"
    first = post(editor_client, url, _values(item, body="First autosave"))
    assert first.status_code == 200 and first.json["version"] == 2
    second = post(editor_client, url, _values(item, body="Second", version="2"))
    assert second.status_code == 200 and second.json["version"] == 3
    session.expire_all()
    assert (item.status, item.body) == ("draft", "Second")
    kept = _revisions(session, item.id)
    assert len(kept) == 1 and kept[0].autosave and kept[0].fields["body"] == "Second"
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, body="Saved by hand", version="3", action="save"))  # fmt: skip
    assert len(_revisions(session, item.id)) == 2


def test_autosave_never_overwrites_a_newer_edit(editor_client, session) -> None:
    item = make_item(session, status="draft", published_at=None, body="Original")
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, body="Someone's newer edit", action="save"))  # fmt: skip
    stale = post(
        editor_client, f"/admin/items/{item.id}/autosave",
        _values(item, body="Stale autosave", version="1"),
    )  # fmt: skip
    assert stale.status_code == 409
    assert "Someone else saved this item" in stale.json["conflict"]
    session.expire_all()
    assert item.body == "Someone's newer edit"


def test_autosave_leaves_a_published_item_alone(editor_client, session) -> None:
    item = make_item(session, body="Live text")
    response = post(
        editor_client, f"/admin/items/{item.id}/autosave",
        _values(item, body="Half-typed"),
    )  # fmt: skip
    assert response.status_code == 422
    assert "only drafts" in response.json["problems"][0]
    session.expire_all()
    assert item.body == "Live text"


def test_autosave_checks_like_a_save(editor_client, session) -> None:
    item = make_item(session, status="draft", published_at=None)
    response = post(
        editor_client, f"/admin/items/{item.id}/autosave",
        _values(item, title="", slug="Not A Slug"),
    )  # fmt: skip
    assert response.status_code == 422
    assert "title: required" in response.json["problems"]


# --- regions and topics ----------------------------------------------------------


def test_regions_are_named_checkboxes_and_topics_are_suggested(
    editor_client, session
) -> None:
    make_item(session, tags=["smart-specialisation", "clusters"])
    page = editor_client.get(NEW).get_data(as_text=True)
    assert '<label for="f-region-lombardia">Lombardia</label>' in page
    assert 'type="checkbox" value="lombardia"' in page
    assert 'list="tag-suggestions"' in page
    assert '<option value="smart-specialisation">' in page


def test_ticked_regions_are_saved_by_code(editor_client, session) -> None:
    item = make_item(session, status="draft", published_at=None)
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, regions=["slovenija", "bayern"], action="save"))  # fmt: skip
    session.expire_all()
    assert item.region_names == ["slovenija", "bayern"]
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, regions="lombardy", version=str(item.version)))  # fmt: skip
    session.expire_all()
    assert item.region_names == ["slovenija", "bayern"]  # refused, as on import


def test_an_empty_slug_is_made_from_the_title(editor_client, session) -> None:
    title = "Čezmejni l'économie Straße"
    post(editor_client, NEW, {"title": title, "language": "en", "slug": ""})
    item = session.scalars(select(Item)).one()
    assert (
        item.slug
        == slugify("Čezmejni l'économie Straße")
        == "cezmejni-leconomie-strasse"
    )
    page = editor_client.get(NEW + "?").get_data(as_text=True)
    assert 'id="f-slug"' in page


# --- revisions -------------------------------------------------------------------


def test_revision_diff_marks_removed_and_added_lines() -> None:
    old = {"title": "Old title", "body": "\n".join(f"line {n}" for n in range(10))}
    new = {"title": "Old title", "body": old["body"].replace("line 5", "line five")}
    (diff,) = revisions.diff_fields(old, new, revisions.LABELS)
    assert diff.label == "Body"
    changes = [(line.change, line.text) for line in diff.lines]
    assert ("removed", "line 5") in changes and ("added", "line five") in changes
    assert ("folded", "3 unchanged lines") in changes
    assert changes.index(("removed", "line 5")) < changes.index(("added", "line five"))


def test_revision_page_shows_the_differences_in_words(editor_client, session) -> None:
    item = make_item(session, status="draft", published_at=None, body="Old body")
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, body="First body", action="save"))  # fmt: skip
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, body="Second body", version="2", action="save"))  # fmt: skip
    oldest = _revisions(session, item.id)[-1]
    page = editor_client.get(f"/admin/items/{item.id}/revisions/{oldest.id}").get_data(
        as_text=True
    )
    assert "Removed: </span>First body</del>" in page
    assert "Added: </span>Second body</ins>" in page
    listing = editor_client.get(f"/admin/items/{item.id}/revisions/")
    assert listing.get_data(as_text=True).count("Compare and restore") == 2


def test_restoring_a_revision_is_a_new_audited_save(editor_client, session) -> None:
    item = make_item(session, status="draft", published_at=None)
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, title="Version A", action="save"))  # fmt: skip
    post(editor_client, f"/admin/items/{item.id}/",
         _values(item, title="Version B", version="2", action="save"))  # fmt: skip
    first = _revisions(session, item.id)[-1]
    response = post(
        editor_client, f"/admin/items/{item.id}/revisions/{first.id}/restore"
    )
    assert response.status_code == 303
    session.expire_all()
    assert (item.title, item.version) == ("Version A", 4)
    kept = _revisions(session, item.id)
    assert len(kept) == 3 and kept[0].note.startswith("restored the revision")
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_id == str(item.id))
    ).all()
    assert "restore" in actions


def test_a_revision_of_another_item_is_not_found(editor_client, session) -> None:
    one = make_item(session, status="draft", published_at=None)
    two = make_item(session, status="draft", published_at=None)
    post(editor_client, f"/admin/items/{one.id}/", _values(one, action="save"))
    revision = _revisions(session, one.id)[0]
    response = editor_client.get(f"/admin/items/{two.id}/revisions/{revision.id}")
    assert response.status_code == 404
    assert (
        post(
            editor_client, f"/admin/items/{two.id}/revisions/{revision.id}/restore"
        ).status_code
        == 404
    )


def test_restoring_a_revision_that_no_longer_validates_is_refused(
    editor_client, session
) -> None:
    item = make_item(session, status="draft", published_at=None)
    old = ItemRevision(
        item_id=item.id, version=1, user_email="x@example.org",
        at=datetime.now(UTC) - timedelta(days=1),
        fields={"title": "T", "slug": item.slug, "language": "xx"},
    )  # fmt: skip
    session.add(old)
    session.commit()
    response = post(editor_client, f"/admin/items/{item.id}/revisions/{old.id}/restore")
    assert response.status_code in (400, 422)
    assert "no longer passes the checks" in response.get_data(as_text=True)
    session.expire_all()
    assert item.version == 1


@pytest.mark.parametrize("kind", [k.name for k in kinds.all_kinds()])
def test_every_kind_opens_in_the_editor_with_its_panel_on_top(
    editor_client, session, kind
) -> None:
    item = make_item(session, kind=kind, regions=["bayern"])
    page = editor_client.get(f"/admin/items/{item.id}/").get_data(as_text=True)
    assert 'id="publish-h"' in page
    assert 'value="bayern" checked' in page
    spec = kinds.get(kind)
    if not spec.synced:
        assert editor_client.get(f"/admin/items/new/{spec.plural}").status_code == 200


def test_a_new_translation_starts_with_a_revision(editor_client, session) -> None:
    item = make_item(session)
    response = post(
        editor_client, f"/admin/items/{item.id}/translations", {"language": "de"}
    )
    copy_id = int(response.location.rstrip("/").rsplit("/", 1)[-1])
    (first,) = _revisions(session, copy_id)
    assert (first.fields["language"], first.note) == ("de", "from en")


def test_autosave_of_a_new_item_makes_one_draft_to_edit(editor_client, session) -> None:
    untitled = post(editor_client, NEW + "/autosave", {"title": "", "language": "en"})
    assert (
        untitled.status_code == 422 and "title: required" in untitled.json["problems"]
    )
    response = post(
        editor_client, NEW + "/autosave",
        {"title": "Written without saving", "language": "en", "body": "Kept."},
    )  # fmt: skip
    assert response.status_code == 201
    item = session.scalars(select(Item)).one()
    assert (item.status, item.body) == ("draft", "Kept.")
    assert response.json["edit_url"] == f"/admin/items/{item.id}/"
    assert response.json["autosave_url"] == f"/admin/items/{item.id}/autosave"
    (first,) = _revisions(session, item.id)
    assert first.autosave


def test_a_time_stating_its_offset_is_taken_at_that_offset(editor_client, session):
    """A script scheduling through the status route may say UTC outright (``Z``) or
    give an offset; a bare time is the site's zone (Europe/Zurich here)."""
    item = make_item(session, status="draft", published_at=None)
    url = f"/admin/items/{item.id}/status"
    for sent, stored in [
        ("2099-07-01T10:30:00Z", datetime(2099, 7, 1, 10, 30, tzinfo=UTC)),
        ("2099-07-01T10:30:00+05:00", datetime(2099, 7, 1, 5, 30, tzinfo=UTC)),
        ("2099-07-01T10:30:00", datetime(2099, 7, 1, 8, 30, tzinfo=UTC)),
    ]:
        answer = post(editor_client, url, {"action": "schedule", "published_at": sent})
        assert answer.status_code == 303, sent
        session.expire_all()
        assert session.get(Item, item.id).published_at == stored, sent
    bad = post(
        editor_client, url, {"action": "schedule", "published_at": "2099-13-01T10:30Z"}
    )
    assert bad.status_code == 422
