"""The media library: listing, alt text, replace, remove; PDF checks at upload."""

from __future__ import annotations

import io
from dataclasses import replace

from sqlalchemy import select

from comms import create_app
from comms.admin.models import AuditEntry
from comms.catalogue.models import Item, ReportFile
from comms.db import init_db
from comms.storage import sha256_of
from tests.admin.helpers import log_in_as, make_user, png_bytes, post
from tests.factories import make_item, make_pdf, make_report

ACCESSIBLE = {"language": "en-GB", "tagged": True}


def _upload_pdf(client, item_id: int, data: bytes, name: str = "report.pdf"):  # type: ignore[no-untyped-def]
    return post(
        client,
        f"/admin/items/{item_id}/files",
        {"file": (io.BytesIO(data), name), "language": "en"},
        content_type="multipart/form-data",
    )


def _replace(client, sha: str, data: bytes, name: str):  # type: ignore[no-untyped-def]
    return post(
        client,
        f"/admin/media/{sha}/replace",
        {"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _image_item(session, store, alt: str = "Partners at work", **fields):  # type: ignore[no-untyped-def]
    data = png_bytes((40, 30))
    digest = store.put(data)
    item = make_item(
        session,
        image=f"/media/images/{digest}.png",
        details={"image_alt": alt},
        **fields,
    )
    return item, digest


def test_untagged_pdf_titled_about_blank_is_kept_with_a_warning_and_a_badge(
    editor_client, session
) -> None:
    report = make_item(session, kind="report", slug="policy", files=[])
    response = _upload_pdf(editor_client, report.id, make_pdf("about:blank"))
    assert response.status_code == 303
    stored = session.scalars(select(ReportFile)).one()
    assert (stored.pdf_title, stored.pdf_language, stored.pdf_tagged) == (
        "about:blank",
        None,
        False,
    )
    page = editor_client.get(f"/admin/items/{report.id}/").get_data(as_text=True)
    assert "Uploaded report.pdf (1 pages)." in page
    assert "Accessibility warning: report.pdf was kept" in page
    assert "a placeholder instead of a document title (&#39;about:blank&#39;)" in page
    assert "no document language" in page and "not a tagged PDF" in page
    assert "accessibility statement" in page
    assert "Document structure tags for accessibility" in page
    assert "File &gt; Info &gt; Properties &gt; Title" in page
    assert 'class="pdf-badge pdf-warn"' in page  # the editor's file list


def test_tagged_pdf_with_title_and_language_uploads_without_a_warning(
    editor_client, session
) -> None:
    report = make_item(session, kind="report", files=[])
    data = make_pdf("StressTest report: Lombardia", **ACCESSIBLE)
    assert _upload_pdf(editor_client, report.id, data).status_code == 303
    page = editor_client.get(f"/admin/items/{report.id}/").get_data(as_text=True)
    assert "Accessibility warning" not in page
    assert "Accessible PDF: title, language and tags" in page


def test_library_lists_images_and_files_with_size_usage_alt_and_badge(
    editor_client, session, store
) -> None:
    report = make_report(
        session, store, slug="policy", title="Policy report", filename="policy.pdf"
    )
    report.files[0].pdf_title, report.files[0].pdf_tagged = "about:blank", False
    session.commit()
    item, _ = _image_item(session, store, title="First results")
    orphan = store.put(png_bytes((10, 10), fmt="JPEG"))

    page = editor_client.get("/admin/media/").get_data(as_text=True)
    assert "3 entries" in page
    size = report.files[0].size
    assert "policy.pdf" in page and f"File · PDF · {size} Bytes · 1 page" in page
    assert f'href="/admin/items/{report.id}/"' in page
    assert "Policy report (reports/policy, en)" in page
    assert "Accessibility: a placeholder instead of a document title" in page
    assert "Alt text: Partners at work" in page
    assert f'href="/admin/items/{item.id}/"' in page
    assert "Not used anywhere" in page

    images = editor_client.get("/admin/media/?show=images").get_data(as_text=True)
    assert "2 entries" in images and "policy.pdf" not in images
    unused = editor_client.get("/admin/media/?unused=1").get_data(as_text=True)
    assert "1 entry" in unused and f"image-{orphan[:12]}.jpg" in unused
    found = editor_client.get("/admin/media/?q=first+results").get_data(as_text=True)
    assert "1 entry" in found and "Partners at work" in found
    detail = editor_client.get(f"/admin/media/{report.files[0].sha256}/")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "Where it is used" in text
    assert "How to fix" not in text and "Document structure tags" in text


def test_remove_is_refused_while_used_and_names_the_users(
    editor_client, session, store
) -> None:
    report = make_report(session, store, slug="policy", title="Policy report")
    sha = report.files[0].sha256
    response = post(editor_client, f"/admin/media/{sha}/remove")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "still used by Policy report (reports/policy, en)" in text
    assert f'href="/admin/items/{report.id}/"' in text
    assert store.path_for(sha).is_file()


def test_removing_an_unused_file_deletes_its_bytes_and_is_audited(
    editor_client, editor, session, store
) -> None:
    sha = store.put(make_pdf("Left over"))
    response = post(editor_client, f"/admin/media/{sha}/remove")
    assert response.status_code == 303
    assert not store.path_for(sha).exists()
    assert "its stored copy is deleted" in editor_client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.target_type, entry.target_id) == (
        "remove-media",
        "media",
        sha,
    )
    assert entry.user_id == editor.id
    assert post(editor_client, f"/admin/media/{sha}/remove").status_code == 404


def test_replacing_a_file_keeps_its_name_and_public_link(
    editor_client, client, session, store
) -> None:
    old = make_pdf("Policy report", **ACCESSIBLE)
    report = make_report(session, store, slug="policy", filename="policy.pdf", data=old)
    old_sha = sha256_of(old)
    new = make_pdf("about:blank", pages=2)
    response = _replace(editor_client, old_sha, new, "policy-v2.pdf")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/media/{sha256_of(new)}/")
    page = editor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Replaced: " in page and "Accessibility warning: policy-v2.pdf" in page
    session.expire_all()
    row = session.scalars(select(ReportFile)).one()
    assert (row.filename, row.sha256, row.page_count) == (
        "policy.pdf",
        sha256_of(new),
        2,
    )
    assert row.pdf_tagged is False
    assert not store.path_for(old_sha).exists()  # nothing else used the old bytes
    download = client.get("/reports/policy/files/policy.pdf")
    assert download.status_code == 200 and download.data == new
    download.close()
    again = _replace(editor_client, sha256_of(new), new, "same.pdf")
    assert "the same file; nothing changed" in editor_client.get(
        again.headers["Location"]
    ).get_data(as_text=True)
    actions = session.scalars(select(AuditEntry.action)).all()
    assert actions == ["replace-file"]
    assert session.get(Item, report.id).files[0].size == len(new)


def test_replacing_an_image_moves_every_user_and_the_old_one_stops_being_public(
    editor_client, client, session, store
) -> None:
    item, old_sha = _image_item(session, store, slug="first")
    old_path = item.image
    other = make_item(session, slug="second", body=f"See ![the map]({old_path}) here.")
    new = png_bytes((50, 20), fmt="JPEG")
    response = _replace(editor_client, old_sha, new, "map.jpg")
    assert response.status_code == 303
    new_path = f"/media/images/{sha256_of(new)}.jpg"
    session.expire_all()
    assert session.get(Item, item.id).image == new_path
    assert new_path in session.get(Item, other.id).body_html
    assert session.get(Item, item.id).details["image_alt"] == "Partners at work"
    served = client.get(new_path)
    assert served.status_code == 200 and served.data == new
    served.close()
    assert client.get(old_path).status_code == 404
    assert not store.path_for(old_sha).exists()


def test_replace_checks_type_pixels_and_size_like_the_editor(
    settings, session, store
) -> None:
    app = create_app(replace(settings, max_image_pixels=1000))
    init_db(app.extensions["comms"].engine)
    state = app.extensions["comms"]
    with state.sessionmaker() as s:
        user = make_user(s, "editor@example.org")
        item, sha = _image_item(s, state.store)
        report = make_report(s, state.store, slug="policy")
        file_sha, item_id = report.files[0].sha256, item.id
        client = app.test_client()
        log_in_as(client, user)
    big = _replace(client, sha, png_bytes((100, 100)), "big.png")
    assert big.status_code == 422
    assert "the limit is 0" in big.get_data(as_text=True)
    pdf_for_image = _replace(client, sha, make_pdf(), "x.pdf")
    assert pdf_for_image.status_code == 422
    assert "not an image Pillow can read" in pdf_for_image.get_data(as_text=True)
    image_for_pdf = _replace(client, file_sha, png_bytes(), "x.png")
    assert image_for_pdf.status_code == 422
    assert "no %PDF- signature" in image_for_pdf.get_data(as_text=True)
    empty = post(client, f"/admin/media/{sha}/replace", {})
    assert empty.status_code == 422
    with state.sessionmaker() as s:
        assert s.get(Item, item_id).image == f"/media/images/{sha}.png"
    state.engine.dispose()


def test_alt_text_edited_here_is_stored_and_shown_on_the_public_page(
    editor_client, client, session, store
) -> None:
    item, sha = _image_item(session, store, slug="results")
    refused = post(editor_client, f"/admin/media/{sha}/alt", {"image_alt": "   "})
    assert refused.status_code == 422
    assert "describe the image" in refused.get_data(as_text=True)
    too_long = post(editor_client, f"/admin/media/{sha}/alt", {"image_alt": "x" * 301})
    assert too_long.status_code == 422
    saved = post(
        editor_client,
        f"/admin/media/{sha}/alt",
        {"image_alt": "  Eleven   partners around a map "},
    )
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(Item, item.id).details["image_alt"] == (
        "Eleven partners around a map"
    )
    public = client.get("/press-releases/results/").get_data(as_text=True)
    assert 'alt="Eleven partners around a map"' in public
    assert session.scalars(select(AuditEntry.action)).all() == ["image-alt"]


def test_media_pages_need_a_login_and_a_csrf_token(app, client, session, store):  # type: ignore[no-untyped-def]
    sha = store.put(make_pdf("Left over"))
    response = client.get("/admin/media/")
    assert (
        response.status_code == 303 and "/admin/login" in response.headers["Location"]
    )
    user = make_user(session, "editor@example.org")
    log_in_as(client, user)
    forged = client.post(f"/admin/media/{sha}/remove")
    assert forged.status_code in (400, 403)
    assert store.path_for(sha).is_file()
    assert client.get("/admin/media/not-a-hash/").status_code == 404
    assert client.get(f"/admin/media/{'0' * 64}/").status_code == 404


def test_content_import_flags_a_placeholder_title_and_warns(
    runner, session, content_dir
) -> None:
    media = content_dir / "media"
    media.mkdir()
    (media / "blank.pdf").write_bytes(make_pdf("about:blank"))
    (content_dir / "reports").mkdir()
    (content_dir / "reports" / "blank.en.md").write_text(
        "---\ntitle: Blank\npublished_at: 2018-05-15T09:00:00Z\n"
        "files: [{path: ../media/blank.pdf, language: en}]\n---\n"
    )
    result = runner.invoke(args=["import", str(content_dir)])
    assert result.exit_code == 0, result.output
    assert (
        "warning: PDF accessibility: reports/blank (en) blank.pdf: a placeholder "
        "instead of a document title, no document language, not a tagged PDF"
    ) in result.stderr
    row = session.scalars(select(ReportFile)).one()
    assert row.pdf_title == "about:blank" and row.pdf_tagged is False


def test_library_pages_fifty_entries_at_a_time_keeping_the_filter(
    editor_client, store
) -> None:
    for n in range(55):
        store.put(png_bytes((n + 1, 3)))
    first = editor_client.get("/admin/media/?show=images&unused=1")
    text = first.get_data(as_text=True)
    assert "55 entries, 1–50 shown" in text and text.count('class="media-card"') == 50
    assert 'href="/admin/media/?show=images&amp;unused=1&amp;page=2"' in text
    last = editor_client.get("/admin/media/?show=images&unused=1&page=2")
    text = last.get_data(as_text=True)
    assert "55 entries, 51–55 shown" in text and text.count('class="media-card"') == 5
    assert editor_client.get("/admin/media/?page=x").status_code == 200
