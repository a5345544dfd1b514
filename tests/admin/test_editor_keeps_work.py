"""The admin never loses an officer's work: uploads keep typed text, renames redirect.

Also the pixel limit on images (COMMS_MAX_IMAGE_PIXELS), checked before decoding.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from comms.catalogue.content_files import import_tree
from comms.catalogue.models import Item, ReportFile
from comms.config import Settings
from comms.errors import ValidationFailed
from tests.admin.helpers import png_bytes, post
from tests.factories import make_item, make_pdf, make_report, write_content


@lru_cache(maxsize=1)
def huge_png() -> bytes:
    """An 88-megapixel PNG of a few kilobytes (one bit per pixel, all blank)."""
    out = io.BytesIO()
    Image.new("1", (10000, 8800)).save(out, format="PNG")
    return out.getvalue()


def _editor_values(item: Item, **typed: str) -> dict[str, Any]:
    values = {
        "title": item.title, "slug": item.slug, "language": item.language,
        "summary": item.summary, "body": item.body, "version": str(item.version),
        "action": "save",
    }  # fmt: skip
    return {**values, **typed}


TYPED = {
    "title": "A title typed before the upload",
    "body": "Two paragraphs of *new* text, never saved before.",
}


# --- 11a: uploading from the editor keeps what was typed --------------------------


def test_image_uploaded_from_the_editor_saves_the_typed_text(
    editor_client, session
) -> None:
    item = make_item(session, status="draft", published_at=None)
    data = _editor_values(item, **TYPED)
    data |= {"image": (io.BytesIO(png_bytes()), "p.png"), "image_alt": "A map"}
    response = post(
        editor_client, f"/admin/items/{item.id}/", data,
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 303
    session.expire_all()
    saved = session.get(Item, item.id)
    assert saved.title == TYPED["title"] and saved.body == TYPED["body"]
    assert saved.image and saved.image.startswith("/media/images/")
    assert saved.details["image_alt"] == "A map"


def test_pdf_uploaded_from_the_editor_saves_the_typed_text(
    editor_client, session
) -> None:
    report = make_item(session, kind="report", status="draft", published_at=None)
    data = _editor_values(report, **TYPED)
    data |= {"file": (io.BytesIO(make_pdf()), "plan.pdf"), "file_language": "de"}
    response = post(
        editor_client, f"/admin/items/{report.id}/", data,
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 303
    session.expire_all()
    saved = session.get(Item, report.id)
    assert saved.title == TYPED["title"] and saved.body == TYPED["body"]
    assert [(f.filename, f.language) for f in saved.files] == [("plan.pdf", "de")]


def test_refused_upload_shows_every_typed_value_and_the_reason_and_saves_nothing(
    editor_client, session
) -> None:
    report = make_item(session, kind="report", status="draft", published_at=None)
    before = (report.title, report.body, report.version)
    data = _editor_values(report, **TYPED, summary="A summary typed too")
    data |= {"file": (io.BytesIO(b"MZ not a pdf"), "setup.pdf")}
    response = post(
        editor_client, f"/admin/items/{report.id}/", data,
        content_type="multipart/form-data",
    )  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "no %PDF- signature" in page
    for value in (TYPED["title"], TYPED["body"], "A summary typed too"):
        assert value.replace("*", "*") in page, value
    session.expire_all()
    saved = session.get(Item, report.id)
    assert (saved.title, saved.body, saved.version) == before
    assert session.scalars(select(ReportFile)).first() is None


def test_editor_form_carries_the_upload_fields(editor_client, session) -> None:
    report = make_item(session, kind="report")
    page = editor_client.get(f"/admin/items/{report.id}/").get_data(as_text=True)
    assert 'id="item-editor" enctype="multipart/form-data"' in page
    for name in ("image", "image_alt", "file", "file_language"):
        assert f'name="{name}"' in page
        tag = page[
            page.index(f'name="{name}"') - 80 : page.index(f'name="{name}"') + 200
        ]
        assert 'form="item-editor"' in tag, name


# --- 9: the pixel limit, checked before decoding, at every door -------------------


def test_huge_image_is_refused_naming_its_megapixels_and_the_limit(
    editor_client, session
) -> None:
    assert len(huge_png()) < 400_000
    item = make_item(session)
    upload = post(
        editor_client, f"/admin/items/{item.id}/image",
        {"image": (io.BytesIO(huge_png()), "big.png"), "image_alt": "Blank"},
        content_type="multipart/form-data",
    )  # fmt: skip
    data = _editor_values(item, **TYPED)
    data |= {"image": (io.BytesIO(huge_png()), "big.png"), "image_alt": "Blank"}
    editor = post(
        editor_client, f"/admin/items/{item.id}/", data,
        content_type="multipart/form-data",
    )  # fmt: skip
    for response in (upload, editor):
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert "10000x8800 pixels (88 megapixels)" in text
        assert "the limit is 40 megapixels" in text
    assert TYPED["title"] in editor.get_data(as_text=True)
    session.expire_all()
    assert session.get(Item, item.id).image is None


def test_pixel_limit_is_a_setting() -> None:
    assert Settings().max_image_pixels == 40_000_000
    env = {"COMMS_MAX_IMAGE_PIXELS": "1000"}
    assert Settings.from_env(env).max_image_pixels == 1000


# --- 11b: a changed slug keeps its old addresses as permanent redirects -----------


def _rename(client, item: Item, slug: str, session) -> None:  # type: ignore[no-untyped-def]
    session.refresh(item)
    response = post(client, f"/admin/items/{item.id}/", _editor_values(item, slug=slug))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_renamed_report_and_its_file_redirect_permanently(
    editor_client, client, session, store
) -> None:
    report = make_report(session, store, slug="old-plan", filename="plan.pdf")
    _rename(editor_client, report, "new-plan", session)
    page = client.get("/reports/old-plan/")
    assert page.status_code == 308 and page.location == "/reports/new-plan/"
    download = client.get("/reports/old-plan/files/plan.pdf")
    assert download.status_code == 308
    assert download.location == "/reports/new-plan/files/plan.pdf"
    with client.get(download.location) as moved:
        assert moved.status_code == 200


def test_renames_chain_to_the_newest_address(editor_client, client, session) -> None:
    item = make_item(session, slug="a-slug")
    _rename(editor_client, item, "b-slug", session)
    _rename(editor_client, item, "c-slug", session)
    for old in ("a-slug", "b-slug"):
        response = client.get(f"/press-releases/{old}/")
        assert response.status_code == 308
        assert response.location == "/press-releases/c-slug/"


def test_every_language_version_keeps_its_old_address(
    editor_client, client, session
) -> None:
    en = make_item(session, slug="results", language="en", translation="r")
    de = make_item(session, slug="ergebnisse", language="de", translation="r")
    _rename(editor_client, en, "first-results", session)
    _rename(editor_client, de, "erste-ergebnisse", session)
    assert client.get("/press-releases/results/").location == (
        "/press-releases/first-results/"
    )
    german = client.get("/press-releases/ergebnisse/?lang=de")
    assert german.status_code == 308
    assert german.location == "/press-releases/erste-ergebnisse/?lang=de"
    assert client.get(german.location).status_code == 200


def test_a_new_item_taking_an_old_slug_is_not_shadowed(
    editor_client, client, session
) -> None:
    item = make_item(session, slug="taken")
    _rename(editor_client, item, "moved", session)
    newcomer = make_item(session, slug="taken", translation="new", title="The newcomer")
    response = client.get("/press-releases/taken/")
    assert response.status_code == 200
    assert "The newcomer" in response.get_data(as_text=True)
    assert newcomer.id != item.id


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_old_address_of_an_item_no_longer_public_gives_404(
    editor_client, client, session, status
) -> None:
    item = make_item(session, slug="was-public")
    _rename(editor_client, item, "now-hidden", session)
    post(editor_client, f"/admin/items/{item.id}/status",
         {"action": "unpublish"} if status == "draft"
         else {"action": "schedule", "published_at": "2099-01-01T00:00"})  # fmt: skip
    assert client.get("/press-releases/was-public/").status_code == 404


def test_content_import_refuses_a_huge_image_of_the_content_folder(
    session, store, content_dir
) -> None:
    (content_dir / "media").mkdir()
    (content_dir / "media" / "cover.png").write_bytes(huge_png())
    write_content(
        content_dir,
        "press-releases/big-cover.en.md",
        "---\ntitle: T\npublished_at: 2018-05-15T09:00:00Z\n"
        "image: /media/cover.png\n---\nBody.\n",
    )
    with pytest.raises(ValidationFailed) as refused:
        import_tree(session, store, content_dir)
    assert "image: /media/cover.png: the image is 10000x8800 pixels (88 " in str(
        refused.value
    )
    assert "the limit is 40 megapixels" in str(refused.value)
    assert session.scalars(select(Item)).first() is None
    # With a higher limit (the setting), the same file is accepted.
    assert import_tree(session, store, content_dir, max_image_pixels=90_000_000).total


def test_a_renamed_items_other_addresses_redirect_too(
    editor_client, client, session, store
) -> None:
    # A report's citation and an event's calendar file answered 404 at the old slug.
    report = make_report(session, store, slug="old-plan")
    event = make_item(
        session,
        kind="event",
        slug="old-day",
        starts_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    _rename(editor_client, report, "new-plan", session)
    session.refresh(event)
    values = _editor_values(event, slug="new-day", starts_at="2027-01-01T00:00")
    assert post(editor_client, f"/admin/items/{event.id}/", values).status_code == 303
    for old, new in [
        ("/reports/old-plan/cite.bib", "/reports/new-plan/cite.bib"),
        ("/reports/old-plan/cite.json", "/reports/new-plan/cite.json"),
        ("/events/old-day/event.ics", "/events/new-day/event.ics"),
    ]:
        moved = client.get(old)
        assert (moved.status_code, moved.location) == (308, new), old
        assert client.get(new).status_code == 200, new
    assert client.get("/reports/never-was/cite.bib").status_code == 404
