"""Hostile input on public and admin routes: a 400 with the reason, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select

from comms.admin.models import User
from comms.catalogue.models import Item
from comms.newsletter.models import Subscriber
from tests.admin.helpers import PASSWORD, log_in_as, make_user, post
from tests.factories import make_item


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _cursor(value: object) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _nested_cursor(depth: int) -> str:
    raw = ("[" * depth + "]" * depth).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("depth", [100_000, 10_000])
def test_deeply_nested_api_cursor_is_a_400_with_the_reason(client, depth):
    cursor = _nested_cursor(depth)
    response = client.get("/api/v1/items", query_string={"cursor": cursor})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == (
        "cursor is not valid: use next_cursor as given"
    )


def test_nested_cursor_short_enough_to_pass_the_length_check_is_a_400(client):
    cursor = _nested_cursor(70)  # under the length limit, nested all the same
    response = client.get("/api/v1/items", query_string={"cursor": cursor})
    assert response.status_code == 400


def test_a_real_cursor_still_pages(client, session):
    for n in range(3):
        make_item(session, slug=f"item-{n}")
    first = client.get("/api/v1/items?limit=2").get_json()
    second = client.get(f"/api/v1/items?limit=2&cursor={first['next_cursor']}")
    assert second.status_code == 200
    assert len(second.get_json()["items"]) == 1


def test_subscribe_with_a_nul_character_is_a_400_and_stores_nothing(client, session):
    client.get("/newsletter/subscribe")
    with client.session_transaction() as sess:
        sess["_csrf"] = "token"
    response = client.post(
        "/newsletter/subscribe",
        data={
            "csrf_token": "token",
            "email": "ana\x00@example.org",
            "language": "en",
            "topic": "press_release\x00",
        },  # fmt: skip
    )
    assert response.status_code == 400
    assert "the field email contains a NUL character" in response.text
    assert _count(session, Subscriber) == 0


def test_login_with_a_nul_character_is_a_400(app, client, session):
    make_user(session, "editor@example.org")
    response = client.post(
        "/admin/login",
        data={"email": "editor\x00@example.org", "password": PASSWORD},
    )
    assert response.status_code == 400
    assert "the field email contains a NUL character" in response.text
    assert "uid" not in (client.get_cookie("session") or "")


@pytest.mark.parametrize("field", ["title", "body", "tags", "version", "location"])
def test_admin_item_form_with_a_nul_character_is_a_400_and_stores_nothing(
    app, session, field
):
    client = app.test_client()
    log_in_as(client, make_user(session, "editor@example.org"))
    data = {"title": "Workshop", "language": "en", "starts_at": "2026-06-01T09:00",
            "action": "save"}  # fmt: skip
    data[field] = data.get(field, "x") + "\x00"
    response = post(client, "/admin/items/new/events", data)
    assert response.status_code == 400
    assert f"the field {field} contains a NUL character" in response.text
    assert _count(session, Item) == 0


@pytest.mark.parametrize(
    "url",
    [
        "/search?q=a%00b",
        "/events/?tag=a%00",
        "/?region=%00",
        "/api/v1/items?tag=%00",
        "/api/v1/items?region=x%00",
        "/api/v1/items/event/a%00b",
        "/events/a%00b/",
        "/feeds/en/atom.xml?tag=%00",
        "/newsletter/confirm/a%00b",
        "/admin/items/?q=%00",
    ],
)
def test_a_nul_character_in_an_address_is_a_400(app, session, url):
    client = app.test_client()
    log_in_as(client, make_user(session, "editor@example.org"))
    response = client.get(url)
    assert response.status_code == 400, response.text[:300]
    assert "contains a NUL character" in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/events/?page=99999999999999999999",
        "/search?q=cluster&page=99999999999999999999",
        "/api/v1/items?limit=99999999999999999999",
        "/api/v1/items?cursor=" + "A" * 5000,
        "/api/v1/items?cursor=" + _cursor(["9999-12-31T23:59:59+14:00", 1]),
        "/api/v1/items?cursor=" + _cursor(["2020-01-01T00:00:00+00:00", 2**70]),
        "/api/v1/items?cursor=" + _cursor(["0001-01-01T00:00:00+14:00", 1]),
        "/api/v1/items?lang=%F0%9F%92%A9",
        "/events/?kind=%FF%FE",
        "/feeds/en/atom.xml?page=99999999999999999999",
    ],
)
def test_hostile_parameters_on_public_routes_never_end_in_a_500(client, session, url):
    make_item(session, slug="one")
    response = client.get(url)
    assert response.status_code < 500, response.text[:300]


def test_user_rows_untouched_by_a_refused_login(client, session):
    make_user(session, "editor@example.org")
    client.post("/admin/login", data={"email": "x\x00", "password": "y\x00"})
    assert _count(session, User) == 1


BEYOND_ANY_ID = ["2147483648", "9223372036854775808", "99999999999999999999"]


@pytest.mark.parametrize("item_id", BEYOND_ANY_ID)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/items/{}/"),
        ("get", "/admin/items/{}/files/report.pdf"),
        ("get", "/admin/newsletters/{}/"),
        ("post", "/admin/items/{}/status"),
        ("post", "/admin/items/{}/image/delete"),
        ("post", "/admin/items/1/files/{}/delete"),
        ("post", "/admin/users/{}"),
        ("post", "/admin/newsletters/{}/test"),
    ],
)
def test_an_id_no_row_can_have_is_a_404(app, session, method, path, item_id):
    # An id past the database's integer columns overflowed the query: a 500.
    client = app.test_client()
    log_in_as(client, make_user(session, "admin@example.org", role="admin"))
    url = path.format(item_id)
    if method == "get":
        response = client.get(url)
    else:
        response = post(client, url, {"action": "publish", "role": "admin"})
    assert response.status_code == 404, response.text[:300]
