"""A file is public only while a page that answers now links it, by every URL."""

from __future__ import annotations

import io
import re

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from comms.catalogue.models import Item
from comms.static_export import export_site
from tests.admin.helpers import log_in_as, make_user, png_bytes, post
from tests.factories import future, make_item, make_pdf, make_report, past

PDF = make_pdf("Action plan")


@pytest.fixture
def editor_client(app, session):  # type: ignore[no-untyped-def]
    """A client logged in as an editor."""
    client = app.test_client()
    log_in_as(client, make_user(session, "editor@example.org"))
    return client


def _status(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with client.get(url) as response:
        return response.status_code


def _report(session, store, content_dir, **fields):  # type: ignore[no-untyped-def]
    """A report whose PDF is also in the content folder, linked from its body, with
    an uploaded image: every URL that can reach one of its files."""
    slug = fields.setdefault("slug", "action-plan")
    (content_dir / "media").mkdir(exist_ok=True)
    (content_dir / "media" / f"{slug}.pdf").write_bytes(PDF)
    # An image of its own (the size follows from the slug): not shared by hash.
    image = f"{store.put(png_bytes((40 + sum(map(ord, slug)) % 97, 30)))}.png"
    report = make_report(
        session, store, filename=f"{slug}.pdf", data=PDF,
        body=f"Read [the plan](/media/{slug}.pdf).",
        image=f"/media/images/{image}", details={"image_alt": "A plan"}, **fields,
    )  # fmt: skip
    urls = [
        f"/media/{slug}.pdf",
        f"/media/images/{image}",
        f"/reports/{slug}/files/{slug}.pdf",
    ]
    return report, urls


def test_scheduled_items_files_answer_by_no_url_before_its_time(
    client, session, store, content_dir
) -> None:
    _report_item, urls = _report(session, store, content_dir, published_at=future(30))
    for url in urls:
        assert _status(client, url) == 404, url
    with freeze_time(future(31)):
        for url in urls:
            assert _status(client, url) == 200, url


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "draft", "published_at": None},
        {"status": "draft", "published_at": past(3)},  # unpublished
    ],
    ids=["draft", "unpublished"],
)
def test_drafts_files_answer_by_no_url(
    client, session, store, content_dir, fields
) -> None:
    _report_item, urls = _report(session, store, content_dir, **fields)
    for url in urls:
        assert _status(client, url) == 404, url


def test_archived_items_files_answer_like_its_page(
    client, session, store, content_dir
) -> None:
    # An archived item's page and download stay reachable, so its files do too.
    report, urls = _report(session, store, content_dir, status="archived")
    assert _status(client, f"/reports/{report.slug}/") == 200
    for url in urls:
        assert _status(client, url) == 200, url


def test_unlinked_content_folder_file_is_not_public(
    client, session, store, content_dir
) -> None:
    # The content folder holds the source of every import, drafts' files included.
    (content_dir / "media").mkdir()
    (content_dir / "media" / "secret-draft.pdf").write_bytes(PDF)
    make_report(session, store, slug="secret-draft", status="draft", filename="x.pdf")
    assert _status(client, "/media/secret-draft.pdf") == 404


def test_public_image_has_a_short_cache_and_validators(
    client, session, store, content_dir
) -> None:
    _report_item, urls = _report(session, store, content_dir)
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200, url
            control = response.headers["Cache-Control"]
            max_age = int(re.search(r"max-age=(\d+)", control)[1])  # type: ignore[index]
            assert max_age <= 300 and "immutable" not in control, url
            etag = response.headers["ETag"]
            assert response.headers["Last-Modified"]
        with client.get(url, headers={"If-None-Match": etag}) as again:
            assert again.status_code == 304, url


def test_replaced_image_is_no_longer_served(
    editor_client, client, session, store
) -> None:
    item = make_item(session, slug="pictured")
    first = png_bytes((20, 10))
    for data in (first, png_bytes((30, 10))):
        response = post(
            editor_client, f"/admin/items/{item.id}/image",
            {"image": (io.BytesIO(data), "p.png"), "image_alt": "A"},
            content_type="multipart/form-data",
        )  # fmt: skip
        assert response.status_code == 303
    old = f"/media/images/{store.put(first)}.png"
    session.refresh(item)
    assert item.image != old
    assert _status(client, item.image) == 200
    assert _status(client, old) == 404


def test_unpublishing_takes_the_image_away(editor_client, client, session, store):
    image = f"/media/images/{store.put(png_bytes())}.png"
    item = make_item(session, image=image, details={"image_alt": "A"})
    assert _status(client, image) == 200
    post(editor_client, f"/admin/items/{item.id}/status", {"action": "unpublish"})
    assert _status(client, image) == 404


def test_officer_removes_a_file_and_it_is_gone(
    editor_client, client, session, store
) -> None:
    report = make_report(session, store, slug="plan", filename="plan.pdf", data=PDF)
    url = "/reports/plan/files/plan.pdf"
    sha = report.files[0].sha256
    assert _status(client, url) == 200
    response = post(
        editor_client, f"/admin/items/{report.id}/files/{report.files[0].id}/delete"
    )
    assert response.status_code == 303
    assert _status(client, url) == 404
    assert not store.path_for(sha).exists()  # nothing else used the bytes
    page = editor_client.get(f"/admin/items/{report.id}/").get_data(as_text=True)
    assert "Removed plan.pdf. The public page no longer offers it." in page


def test_removing_shared_bytes_keeps_them_for_the_other_item_and_says_so(
    editor_client, client, session, store
) -> None:
    first = make_report(session, store, slug="first", filename="a.pdf", data=PDF)
    make_report(session, store, slug="second", filename="b.pdf", data=PDF)
    post(editor_client, f"/admin/items/{first.id}/files/{first.files[0].id}/delete")
    assert _status(client, "/reports/first/files/a.pdf") == 404
    assert _status(client, "/reports/second/files/b.pdf") == 200
    page = editor_client.get(f"/admin/items/{first.id}/").get_data(as_text=True)
    assert "still used by reports/second (en)" in page


def test_officer_removes_an_image_and_it_is_gone(
    editor_client, client, session, store
) -> None:
    sha = store.put(png_bytes())
    image = f"/media/images/{sha}.png"
    item = make_item(session, image=image, details={"image_alt": "A"})
    assert _status(client, image) == 200
    response = post(editor_client, f"/admin/items/{item.id}/image/delete")
    assert response.status_code == 303
    assert _status(client, image) == 404
    assert not store.path_for(sha).exists()
    session.expire_all()
    stored = session.scalars(select(Item).where(Item.id == item.id)).one()
    assert stored.image is None and "image_alt" not in stored.details


def test_static_export_writes_no_media_that_is_not_public(
    app, session, store, content_dir, tmp_path
) -> None:
    _public, public_urls = _report(session, store, content_dir, slug="public-plan")
    _draft, draft_urls = _report(
        session, store, content_dir, slug="draft-plan", status="draft"
    )
    _later, later_urls = _report(
        session, store, content_dir, slug="later-plan", published_at=future(30)
    )
    out = tmp_path / "out"
    export_site(app, out)
    written = {"/" + str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    for url in public_urls:
        assert url in written, url
    for url in draft_urls + later_urls:
        assert url not in written, url
