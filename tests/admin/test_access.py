"""Who may do what: every admin route for anonymous visitors, editors and admins."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from comms.admin.models import ItemRevision
from comms.catalogue.models import Deliverable, WorkPackage
from comms.newsletter.models import Subscriber
from tests.admin.helpers import log_in_as, make_user, png_bytes, post
from tests.factories import make_item, make_pdf, make_report
from tests.newsletter.helpers import make_issue


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str
    editor: int  # status an editor gets
    admin: int  # status an admin gets
    data: Callable[[], dict[str, Any]] | None = None


def _pdf() -> dict[str, Any]:
    return {"file": (io.BytesIO(make_pdf()), "results.pdf"), "language": "en"}


def _image() -> dict[str, Any]:
    return {"image": (io.BytesIO(png_bytes()), "photo.png"), "image_alt": "A map"}


_titles = iter(range(1, 10**6))
ROUTES = [
    Route("admin.login", "GET", "/admin/login", 302, 302),
    Route("admin.login", "POST", "/admin/login", 401, 401,
          lambda: {"email": "nobody@example.org", "password": "wrong password"}),
    Route("admin.logout", "POST", "/admin/logout", 303, 303),
    Route("admin.password", "GET", "/admin/password", 200, 200),
    Route("admin.password", "POST", "/admin/password", 422, 422,
          lambda: {"current_password": "x", "new_password": "y" * 12,
                   "confirm_password": "y" * 12}),
    Route("admin.dashboard", "GET", "/admin/", 200, 200),
    Route("admin.items", "GET", "/admin/items/?q=item&kind=press_release", 200, 200),
    Route("admin.bulk_items", "POST", "/admin/items/bulk", 303, 303,
          lambda: {"action": "archive", "ids": "999999"}),
    Route("admin.new_item", "GET", "/admin/items/new/press-releases", 200, 200),
    Route("admin.new_item", "POST", "/admin/items/new/events", 303, 303,
          lambda: {"title": f"Workshop {next(_titles)}", "language": "en",
                   "starts_at": "2030-01-01T10:00", "action": "save"}),
    Route("admin.edit_item", "GET", "/admin/items/{item}/", 200, 200),
    Route("admin.edit_item", "POST", "/admin/items/{item}/", 200, 200,
          lambda: {"title": "T", "language": "en", "body": "*x*", "action": "preview"}),
    Route("admin.item_status", "POST", "/admin/items/{item}/status", 303, 303,
          lambda: {"action": "publish"}),
    Route("admin.preview_text", "POST", "/admin/items/preview", 200, 200,
          lambda: {"title": "T", "body": "*x*"}),
    Route("admin.autosave_item", "POST", "/admin/items/{item}/autosave", 200, 200,
          lambda: {"title": f"Autosaved {next(_titles)}", "language": "en",
                   "version": "1"}),
    Route("admin.autosave_new_item", "POST", "/admin/items/new/press-releases/autosave",
          201, 201,
          lambda: {"title": f"First draft {next(_titles)}", "language": "en"}),
    Route("admin.item_revisions", "GET", "/admin/items/{item}/revisions/", 200, 200),
    Route("admin.item_revision", "GET", "/admin/items/{item}/revisions/{revision}",
          200, 200),
    Route("admin.restore_revision", "POST",
          "/admin/items/{item}/revisions/{revision}/restore", 303, 303),
    Route("admin.add_translation", "POST", "/admin/items/{item}/translations", 303,
          303, lambda: {"language": "de"}),
    Route("admin.upload_file", "POST", "/admin/items/{report}/files", 303, 303, _pdf),
    Route("admin.remove_file", "POST", "/admin/items/{report}/files/{file}/delete",
          303, 303),
    Route("admin.download_file", "GET", "/admin/items/{report}/files/report.pdf",
          200, 200),
    Route("admin.upload_image", "POST", "/admin/items/{item}/image", 303, 303, _image),
    Route("admin.remove_image", "POST", "/admin/items/{pictured}/image/delete", 303,
          303),
    Route("admin.item_image", "GET", "/admin/media/images/{image}", 200, 200),
    Route("admin.media", "GET", "/admin/media/", 200, 200),
    Route("admin.media_entry", "GET", "/admin/media/{file_sha}/", 200, 200),
    Route("admin.media_download", "GET", "/admin/media/{file_sha}/download", 200,
          200),
    Route("admin.media_alt", "POST", "/admin/media/{image_sha}/alt", 303, 303,
          lambda: {"image_alt": "The partners around a map"}),
    Route("admin.media_replace", "POST", "/admin/media/{image_sha}/replace", 303,
          303, lambda: {"file": (io.BytesIO(png_bytes((9, 7))), "new.png")}),
    Route("admin.media_remove", "POST", "/admin/media/{spare}/remove", 303, 303),
    # No repository token in these settings: refused with a message, nothing sent.
    Route("admin.deposit_item", "POST", "/admin/items/{report}/deposit", 422, 422),
    Route("admin.publish_deposit", "POST", "/admin/items/{report}/deposit/publish",
          422, 422, lambda: {"confirm": "publish"}),
    Route("admin.newsletters", "GET", "/admin/newsletters/", 200, 200),
    Route("admin.new_issue", "GET", "/admin/newsletters/new", 200, 200),
    Route("admin.new_issue", "POST", "/admin/newsletters/new", 303, 303,
          lambda: {"slug": f"issue-new-{next(_titles)}", "title": "New issue",
                   "language": "en", "action": "save"}),
    Route("admin.edit_issue", "GET", "/admin/newsletters/{issue}/", 200, 200),
    Route("admin.edit_issue", "POST", "/admin/newsletters/{issue}/", 200, 200,
          lambda: {"slug": "s", "title": "T", "language": "en", "intro": "*x*",
                   "action": "preview"}),
    Route("admin.add_issue_version", "POST",
          "/admin/newsletters/{issue}/translations", 303, 303,
          lambda: {"language": "de"}),
    # No mail server in these settings: refused with a message, nothing changed.
    Route("admin.send_test", "POST", "/admin/newsletters/{issue}/test", 422, 422),
    Route("admin.preview_issue", "GET", "/admin/newsletters/{issue}/preview",
          200, 200),
    Route("admin.preview_mail_html", "GET",
          "/admin/newsletters/{issue}/preview/mail.html", 200, 200),
    Route("admin.send_issue", "POST", "/admin/newsletters/{issue}/send", 422, 422,
          lambda: {"confirm": "1"}),
    Route("admin.schedule_issue", "POST", "/admin/newsletters/{issue}/schedule",
          422, 422, lambda: {"action": "schedule", "send_at": "2099-01-01T09:00"}),
    Route("admin.jobs", "GET", "/admin/jobs/", 200, 200),
    Route("admin.retry_job", "POST", "/admin/jobs/999999/retry", 404, 404),
    # No YouTube settings either.
    Route("admin.sync_videos", "POST", "/admin/videos/sync", 422, 422),
    Route("admin.videos", "GET", "/admin/videos/", 200, 200),
    Route("admin.add_video", "POST", "/admin/videos/add", 400, 400,
          lambda: {"url": "https://vimeo.com/1"}),
    Route("admin.confirm_video", "POST", "/admin/videos/add/confirm", 400, 400,
          lambda: {"youtube_id": "bad", "title": "", "action": "add"}),
    # Subscribers' personal data: admins only.
    Route("admin.subscribers", "GET", "/admin/subscribers/", 403, 200),
    Route("admin.export_subscribers", "GET", "/admin/subscribers/export.csv", 403,
          200),
    Route("admin.import_subscribers", "GET", "/admin/subscribers/import", 403, 200),
    Route("admin.import_subscribers", "POST", "/admin/subscribers/import", 403, 400),
    Route("admin.confirm_import", "POST", "/admin/subscribers/import/confirm", 403,
          422, lambda: {"csv_text": "%%%"}),
    Route("admin.subscriber", "GET", "/admin/subscribers/{subscriber}/", 403, 200),
    Route("admin.erase_subscriber", "GET", "/admin/subscribers/{subscriber}/erase",
          403, 200),
    Route("admin.erase_subscriber", "POST", "/admin/subscribers/{subscriber}/erase",
          403, 400, lambda: {"confirm_email": "someone-else@example.net"}),
    Route("admin.users", "GET", "/admin/users/", 403, 200),
    Route("admin.create_user", "POST", "/admin/users/", 403, 303,
          lambda: {"email": "new@example.org", "role": "editor",
                   "password": "a long enough password"}),
    Route("admin.update_user", "POST", "/admin/users/{other}", 403, 303,
          lambda: {"role": "admin", "active": "1"}),
    Route("admin.audit_log", "GET", "/admin/audit/", 403, 200),
    Route("admin.deliverables", "GET", "/admin/deliverables/", 200, 200),
    Route("admin.work_package_new", "POST", "/admin/deliverables/work-packages/",
          303, 303, lambda: {"code": f"N{next(_titles) % 1000}", "title": "New"}),
    Route("admin.work_package_edit", "GET",
          "/admin/deliverables/work-packages/{package}/", 200, 200),
    Route("admin.work_package_edit", "POST",
          "/admin/deliverables/work-packages/{package}/", 303, 303,
          lambda: {"code": f"E{next(_titles) % 1000}", "title": "Edited"}),
    # It has a deliverable: refused, nothing deleted.
    Route("admin.work_package_delete", "POST",
          "/admin/deliverables/work-packages/{package}/delete", 409, 409),
    Route("admin.deliverable_new", "GET", "/admin/deliverables/new", 200, 200),
    Route("admin.deliverable_new", "POST", "/admin/deliverables/new", 422, 422,
          lambda: {"code": "not a code"}),
    Route("admin.deliverable_edit", "GET", "/admin/deliverables/{deliverable}/edit",
          200, 200),
    Route("admin.deliverable_edit", "POST", "/admin/deliverables/{deliverable}/edit",
          422, 422, lambda: {"code": "D1", "due": "soon"}),
    Route("admin.deliverable_delete", "POST",
          "/admin/deliverables/{deliverable}/delete", 303, 303),
    Route("admin.review", "GET", "/admin/review/", 403, 200),
    Route("admin.review_approve", "POST", "/admin/review/999999/approve", 403, 404),
    Route("admin.review_send_back", "POST", "/admin/review/999999/return", 403, 404,
          lambda: {"comment": "Please add a summary."}),
]  # fmt: skip


_serial = iter(range(1, 10**6))


def make_targets(session, store) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Fresh items, file, image and account for the route table to act on."""
    session.expunge_all()  # the app may have deleted rows whose ids SQLite reuses
    item = make_item(session, status="draft", published_at=None)
    image = f"{store.put(png_bytes())}.png"
    pictured = make_item(
        session, status="draft", published_at=None, image=f"/media/images/{image}"
    )
    report = make_report(session, store)
    serial = next(_serial)
    other = make_user(session, f"other{serial}@example.org")
    issue = make_issue(
        session, slug=f"issue-{serial}", status="draft", published_at=None
    )
    subscriber = Subscriber(
        email=f"reader{serial}@example.net",
        language="en",
        topics=[],
        regions=[],
        status="confirmed",
        source="test",
    )
    session.add(subscriber)
    session.commit()
    package = WorkPackage(code=f"WP{serial % 1000}", title="Communication")
    deliverable = Deliverable(code=f"D{serial}.1", title="Plan", work_package=package,
                              due=date(2027, 3, 31))  # fmt: skip
    session.add_all([package, deliverable])
    session.commit()
    revision = ItemRevision(
        item_id=item.id, version=1, user_email="x@example.org", at=item.created_at,
        fields={"title": "An older title", "slug": item.slug, "language": "en"},
    )  # fmt: skip
    session.add(revision)
    session.commit()
    return {
        "subscriber": subscriber.id,
        "package": package.id,
        "deliverable": deliverable.id,
        "revision": revision.id,
        "issue": issue.id,
        "item": item.id,
        "pictured": pictured.id,
        "image": image,
        "report": report.id,
        "file": report.files[0].id,
        "other": other.id,
        "image_sha": image.partition(".")[0],
        "file_sha": report.files[0].sha256,
        "spare": store.put(make_pdf(f"Spare {serial}")),  # stored, used by nothing
    }


def _call(client: Any, route: Route, targets: dict[str, Any]):  # type: ignore[no-untyped-def]
    path = route.path.format(**targets)
    if route.method == "GET":
        response = client.get(path)
    else:
        response = post(client, path, route.data() if route.data else {})
    response.get_data()
    response.close()
    return response


def _is_login_redirect(response: Any) -> bool:
    return response.status_code in (302, 303) and response.location.startswith(
        "/admin/login"
    )


def _route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_each_role_gets_what_it_is_allowed_on_every_route(
    app, session, store, editor, admin_user, route: Route
) -> None:
    anonymous = _call(app.test_client(), route, make_targets(session, store))
    if route.endpoint == "admin.login":
        assert anonymous.status_code == (200 if route.method == "GET" else 401)
    else:
        assert _is_login_redirect(anonymous), anonymous.status_code
    for user, expected in ((editor, route.editor), (admin_user, route.admin)):
        client = app.test_client()
        log_in_as(client, user)
        response = _call(client, route, make_targets(session, store))
        body = response.get_data().decode("utf-8", "replace")
        assert response.status_code == expected, (user.role, body[:500])
        if expected == 403:
            assert "administrators only" in body
        elif route.endpoint == "admin.logout":
            assert _is_login_redirect(response)
            assert _is_login_redirect(client.get("/admin/"))
        elif response.status_code in (302, 303):
            assert not _is_login_redirect(response)


def test_route_table_covers_every_admin_route(app) -> None:
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
    }
    assert endpoints == {route.endpoint for route in ROUTES}


def test_post_without_csrf_token_is_refused_on_every_route(
    app, session, store, editor
) -> None:
    targets = make_targets(session, store)
    client = app.test_client()
    log_in_as(client, editor)
    for route in (r for r in ROUTES if r.method == "POST"):
        path = route.path.format(**targets)
        missing = client.post(path, data=route.data() if route.data else {})
        forged = {**(route.data() if route.data else {}), "csrf_token": "forged"}
        wrong = client.post(path, data=forged)
        assert missing.status_code == 400, path
        assert wrong.status_code == 400, path
        assert "reload the page" in missing.get_data(as_text=True)


def test_refused_post_changes_nothing(app, session, store, editor) -> None:
    targets = make_targets(session, store)
    client = app.test_client()
    log_in_as(client, editor)
    client.post(f"/admin/items/{targets['item']}/status", data={"action": "publish"})
    from comms.catalogue.models import Item

    session.expire_all()
    assert session.get(Item, targets["item"]).status == "draft"


def test_editor_reaches_the_kpi_pages_only_when_logged_in(app, editor) -> None:
    anonymous = app.test_client().get("/admin/kpi/")
    client = app.test_client()
    log_in_as(client, editor)
    assert anonymous.status_code in (302, 303)
    assert "/admin/login" in anonymous.location
    assert client.get("/admin/kpi/").status_code == 200


def test_deactivated_account_is_logged_out(app, session, editor) -> None:
    client = app.test_client()
    log_in_as(client, editor)
    editor.active = False
    session.commit()
    assert _is_login_redirect(client.get("/admin/"))
