"""Login, sessions, open redirects, brute-force throttling and password changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from comms.admin import auth
from comms.admin.models import LoginAttempt, LoginSession, User
from tests.admin.helpers import PASSWORD, log_in_as, make_user, post


def _login(client, email: str, password: str = PASSWORD, next_url: str | None = None):  # type: ignore[no-untyped-def]
    data = {"email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return post(client, "/admin/login", data)


def test_login_opens_the_dashboard_and_logout_ends_the_session(app, editor) -> None:
    client = app.test_client()
    response = _login(client, "Editor@Example.org ")
    assert response.status_code == 303
    assert response.location == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Dashboard" in page.get_data(as_text=True)
    out = post(client, "/admin/logout")
    assert out.location == "/admin/login"
    assert client.get("/admin/").location.startswith("/admin/login")


def test_wrong_password_is_refused_with_a_message(app, editor) -> None:
    response = _login(app.test_client(), "editor@example.org", "not the password")
    assert response.status_code == 401
    assert "Wrong e-mail address or password." in response.get_data(as_text=True)


def test_login_renews_the_session(app, editor) -> None:
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    _login(client, "editor@example.org")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        token = sess[auth.SESSION_KEY]
    with app.extensions["comms"].sessionmaker() as session:
        assert (
            auth.resume_login(
                session, token, now=datetime.now(UTC), idle=timedelta(minutes=30)
            ).id
            == editor.id
        )


def test_session_cookie_is_httponly_and_samesite_lax(app, editor) -> None:
    client = app.test_client()
    response = _login(client, "editor@example.org")
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test site is plain http


def test_session_cookie_is_secure_on_an_https_site(settings, tmp_path) -> None:
    from dataclasses import replace

    from comms import create_app
    from comms.db import init_db

    app = create_app(replace(settings, site_url="https://news.example.org"))
    init_db(app.extensions["comms"].engine)
    with app.extensions["comms"].sessionmaker() as session:
        make_user(session, "editor@example.org")
    response = _login(app.test_client(), "editor@example.org")
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
    assert "Secure" in cookie
    app.extensions["comms"].engine.dispose()


OUTSIDE = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "//evil.example/%2F..",
    "/\t/evil.example",
    "evil.example",
]


def test_next_outside_the_site_is_refused(app, editor) -> None:
    for target in OUTSIDE:
        response = _login(app.test_client(), "editor@example.org", next_url=target)
        assert response.status_code == 303
        assert response.location == "/admin/", target


def test_next_inside_the_site_is_followed(app, editor) -> None:
    client = app.test_client()
    first = client.get("/admin/items/?status=draft")
    assert first.location == "/admin/login?next=/admin/items/?status%3Ddraft"
    response = _login(
        client, "editor@example.org", next_url="/admin/items/?status=draft"
    )
    assert response.location == "/admin/items/?status=draft"


def test_login_page_carries_next_only_when_safe(app) -> None:
    safe = app.test_client().get("/admin/login?next=/admin/items/").get_data(True)
    evil = app.test_client().get("/admin/login?next=//evil.example").get_data(True)
    assert 'value="/admin/items/"' in safe
    assert "evil.example" not in evil


def test_brute_force_on_one_account_gets_429(app, session, editor) -> None:
    client = app.test_client()
    statuses = [
        _login(client, "editor@example.org", f"guess {n}").status_code
        for n in range(auth.ACCOUNT_HARD_LIMIT + 1)
    ]
    assert statuses[: auth.ACCOUNT_HARD_LIMIT] == [401] * auth.ACCOUNT_HARD_LIMIT
    assert statuses[-1] == 429
    # Even the right password is refused until the window has passed.
    locked = _login(client, "editor@example.org")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Too many failed logins" in locked.get_data(as_text=True)


def test_brute_force_from_one_address_over_many_accounts_gets_429(app, session) -> None:
    client = app.test_client()
    now = datetime.now(UTC)
    for n in range(auth.ADDRESS_HARD_LIMIT):
        session.add(
            LoginAttempt(email=f"u{n}@example.org", address="127.0.0.1", at=now)
        )
    session.commit()
    assert _login(client, "fresh@example.org", "guess").status_code == 429
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/admin/login",
        data={"email": "fresh@example.org", "password": "guess", "csrf_token": "t"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 400  # a different address is not throttled


def test_failures_past_the_soft_limit_are_slowed_then_refused(session, app) -> None:
    now = datetime.now(UTC)
    decisions = []
    for _ in range(auth.ACCOUNT_HARD_LIMIT + 1):
        decisions.append(auth.claim_attempt(session, "a@example.org", "10.0.0.1", now))
    assert [d.delay for d in decisions[: auth.ACCOUNT_SOFT_LIMIT]] == [0.0] * 5
    slowed = decisions[auth.ACCOUNT_SOFT_LIMIT : auth.ACCOUNT_HARD_LIMIT]
    assert all(0 < d.delay <= auth.SLOWDOWN_MAX and not d.refused for d in slowed)
    assert decisions[-1].refused
    stored = session.scalar(select(func.count()).select_from(LoginAttempt))
    assert stored == auth.ACCOUNT_HARD_LIMIT  # the refused try was not kept


def test_successful_login_clears_the_account_failures(app, session, editor) -> None:
    client = app.test_client()
    for n in range(auth.ACCOUNT_SOFT_LIMIT + 1):
        _login(client, "editor@example.org", f"guess {n}")
    assert _login(client, "editor@example.org").status_code == 303
    count = session.scalar(select(func.count()).select_from(LoginAttempt))
    assert count == auth.ACCOUNT_SOFT_LIMIT + 2
    decision = auth.claim_attempt(session, "editor@example.org", "x", datetime.now(UTC))
    assert decision.delay == 0.0 and not decision.refused


def test_password_change_ends_other_sessions(app, session, editor) -> None:
    mine, other = app.test_client(), app.test_client()
    log_in_as(mine, editor)
    log_in_as(other, editor)
    response = post(
        mine,
        "/admin/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert response.status_code == 303
    assert mine.get("/admin/").status_code == 200
    assert other.get("/admin/").location.startswith("/admin/login")
    session.expire_all()
    user = session.get(User, editor.id)
    assert user.password_hash.startswith("$argon2id$")
    assert auth.verify_password(user, "a brand new passphrase")


def test_password_change_keeps_typed_problems_visible(app, editor) -> None:
    client = app.test_client()
    log_in_as(client, editor)
    response = post(
        client,
        "/admin/password",
        {
            "current_password": "wrong",
            "new_password": "short",
            "confirm_password": "short",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not your current password" in body
    assert "at least 10 characters" in body


def test_expired_session_is_logged_out(app, session, editor) -> None:
    client = app.test_client()
    log_in_as(client, editor)
    long_ago = datetime.now(UTC) - auth.SESSION_LIFETIME - timedelta(seconds=5)
    # Used a minute ago, but opened longer ago than the absolute limit.
    session.execute(
        update(LoginSession).values(
            created_at=long_ago, last_seen_at=datetime.now(UTC) - timedelta(minutes=1)
        )
    )
    session.commit()
    assert client.get("/admin/").location.startswith("/admin/login")
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 0
