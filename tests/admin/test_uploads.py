"""Uploads: only real PDFs and images, size limits, safe names, no traversal."""

from __future__ import annotations

import io
from dataclasses import replace

from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from comms import create_app
from comms.catalogue.models import Item, ReportFile
from comms.db import init_db
from tests.admin.helpers import log_in_as, make_user, png_bytes, post, with_token
from tests.factories import make_item, make_pdf, make_report

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def _upload(client, item_id: int, data: bytes, name: str):  # type: ignore[no-untyped-def]
    return post(
        client,
        f"/admin/items/{item_id}/files",
        {"file": (io.BytesIO(data), name), "language": "en"},
        content_type="multipart/form-data",
    )


def test_real_pdf_is_stored_by_hash_with_page_count_and_safe_name(
    editor_client, session, store
) -> None:
    report = make_item(session, kind="report", slug="policy", files=[])
    data = make_pdf(pages=3)
    response = _upload(
        editor_client, report.id, data, "../../Policy Report (final).PDF"
    )
    assert response.status_code == 303
    stored = session.scalars(select(ReportFile)).one()
    assert stored.filename == "policy_report_final.pdf"
    assert stored.page_count == 3 and stored.size == len(data)
    assert store.read(stored.sha256) == data
    download = editor_client.get(f"/admin/items/{report.id}/files/{stored.filename}")
    assert download.data == data
    assert (
        "attachment; filename=policy_report_final.pdf"
        in download.headers["Content-Disposition"]
    )
    download.close()


def test_renamed_executable_html_and_empty_files_are_refused(
    editor_client, session
) -> None:
    report = make_item(session, kind="report", files=[])
    cases = [
        (EXECUTABLE, "setup.pdf", "no %PDF- signature"),
        (HTML, "report.pdf", "no %PDF- signature"),
        (b"%PDF-1.7\n<html>not really</html>", "fake.pdf", "not a readable PDF"),
        (b"", "empty.pdf", "the file is empty"),
    ]
    for data, name, message in cases:
        response = _upload(editor_client, report.id, data, name)
        assert response.status_code == 422, name
        assert message in response.get_data(as_text=True), name
    assert session.scalars(select(ReportFile)).first() is None


def test_file_over_the_limit_gets_413_naming_the_limit(settings) -> None:
    app = create_app(replace(settings, max_upload_mb=1))
    init_db(app.extensions["comms"].engine)
    with app.extensions["comms"].sessionmaker() as session:
        user = make_user(session, "editor@example.org")
        report = make_item(session, kind="report", files=[])
        report_id, user_id = report.id, user.id
    client = app.test_client()
    user.id = user_id
    log_in_as(client, user)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    boundary, body = encode_multipart(
        MultiDict(
            {
                "csrf_token": with_token(client),
                "file": FileStorage(io.BytesIO(big), "big.pdf"),
            }
        )
    )
    response = client.post(
        f"/admin/items/{report_id}/files",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert "at most 1 MB" in response.get_data(as_text=True)
    app.extensions["comms"].engine.dispose()


def test_image_needs_alt_text_and_must_decode(editor_client, session) -> None:
    item = make_item(session)
    url = f"/admin/items/{item.id}/image"

    def send(data: bytes, name: str, alt: str):  # type: ignore[no-untyped-def]
        return post(editor_client, url, {"image": (io.BytesIO(data), name),
                                         "image_alt": alt})  # fmt: skip

    assert send(png_bytes(), "photo.png", "  ").status_code == 422
    assert send(HTML, "photo.png", "A photo").status_code == 422
    assert send(png_bytes(fmt="GIF"), "photo.gif", "A photo").status_code == 422
    assert send(png_bytes()[:40], "cut.png", "A photo").status_code == 422
    for fmt, ext in (("JPEG", "jpg"), ("WEBP", "webp"), ("PNG", "png")):
        response = send(png_bytes(fmt=fmt), f"photo.{fmt}", "The partners at work")
        assert response.status_code == 303, fmt
        session.expire_all()
        saved = session.get(Item, item.id)
        assert saved.image.endswith(f".{ext}")
    assert saved.details["image_alt"] == "The partners at work"
    served = editor_client.get(saved.image)
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    served.close()


def test_traversal_paths_on_downloads_give_404(app, editor, session, store) -> None:
    report = make_report(session, store, slug="stress")
    pdf_hash = report.files[0].sha256
    client = app.test_client()
    log_in_as(client, editor)
    paths = [
        "/reports/stress/files/../../instance/secret_key",
        "/reports/stress/files/..%2F..%2Finstance%2Fsecret_key",
        "/reports/stress/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/reports/stress/files//etc/passwd",
        "/reports/stress/files/%2Fetc%2Fpasswd",
        "/reports/stress/files/..%5C..%5Csecret_key",
        f"/admin/items/{report.id}/files/..%2F..%2Fsecret_key",
        f"/admin/items/{report.id}/files/%2Fetc%2Fpasswd",
        f"/admin/items/{report.id}/files/....//....//etc/passwd",
        "/media/images/..%2F..%2Fsecret_key",
        "/media/images/../../secret_key",
        "/media/images/%2Fetc%2Fpasswd",
        f"/media/images/{pdf_hash}.png",  # a stored PDF is not served as an image
        f"/media/images/{pdf_hash[:-1]}.png",
        "/media/../instance/secret_key",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 404, path
        response.close()
    ok = client.get("/reports/stress/files/report.pdf")
    assert ok.status_code == 200
    ok.close()


def test_uploaded_pdf_gets_a_cover_from_its_first_page_and_loses_it_with_the_file(
    editor_client, session, store, client
) -> None:
    from PIL import Image

    from comms.catalogue.covers import COVER_WIDTH, cover_key

    report = make_item(session, kind="report", slug="policy", files=[])
    assert client.get("/reports/policy/cover.jpg").status_code == 404
    data = make_pdf(pages=2)
    assert _upload(editor_client, report.id, data, "policy.pdf").status_code == 303
    stored = session.scalars(select(ReportFile)).one()
    with client.get("/reports/policy/cover.jpg") as cover:
        assert cover.status_code == 200 and cover.mimetype == "image/jpeg"
        data = cover.data
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    # the A4 page (595 x 842 points) drawn COVER_WIDTH pixels across
    assert width == COVER_WIDTH and abs(height - 842 * COVER_WIDTH / 595) <= 1
    page = client.get("/reports/policy/").text
    shown = f'alt="Cover of the report" width="{width}" height="{height}"'
    assert f'src="/reports/policy/cover.jpg" {shown}' in page

    response = post(editor_client, f"/admin/items/{report.id}/files/{stored.id}/delete")
    assert response.status_code == 303
    assert not store.path_for(cover_key(stored.sha256)).exists()
    assert client.get("/reports/policy/cover.jpg").status_code == 404
