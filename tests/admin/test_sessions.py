"""Login sessions live on the server: logout, idle and absolute limits end them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from comms.admin import auth
from comms.admin.models import LoginSession
from tests.admin.helpers import PASSWORD, post

PRIVATE = ["/admin/", "/admin/kpi/export.csv"]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _log_in(app):  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = post(
        client, "/admin/login", {"email": "editor@example.org", "password": PASSWORD}
    )
    assert response.status_code == 303
    return client


def _copy(app, client):  # type: ignore[no-untyped-def]
    """A second client carrying a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _logged_in(client, url: str = "/admin/") -> bool:  # type: ignore[no-untyped-def]
    response = client.get(url)
    if response.status_code == 200:
        return True
    assert response.status_code == 303
    assert response.location.startswith("/admin/login")
    return False


@pytest.mark.parametrize("url", PRIVATE)
def test_cookie_copied_before_logout_opens_nothing_after(app, editor, url) -> None:
    client = _log_in(app)
    copy = _copy(app, client)
    assert _logged_in(copy, url)
    assert post(client, "/admin/logout").location == "/admin/login"
    assert not _logged_in(copy, url)
    assert not _logged_in(client, url)


def test_logout_deletes_the_session_row(app, session, editor) -> None:
    client = _log_in(app)
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 1
    post(client, "/admin/logout")
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 0


def test_session_table_keeps_only_a_hash_of_the_token(app, session, editor) -> None:
    client = _log_in(app)
    with client.session_transaction() as sess:
        token = sess[auth.SESSION_KEY]
    row = session.scalars(select(LoginSession)).one()
    assert row.user_id == editor.id and row.user_agent.startswith("Werkzeug/")
    assert token not in (row.token_hash, row.user_agent) and len(token) >= 43


def test_idle_session_is_logged_out(app, editor) -> None:
    with freeze_time(START) as clock:
        client = _log_in(app)
        copy = _copy(app, client)
        clock.tick(timedelta(minutes=29))
        assert _logged_in(client)
        clock.tick(timedelta(minutes=30, seconds=1))
        assert not _logged_in(client)
        assert not _logged_in(copy)  # ended on the server, not only in one cookie


def test_idle_timeout_follows_the_setting(settings, editor) -> None:
    from dataclasses import replace

    from comms import create_app

    app = create_app(replace(settings, session_idle_minutes=5))
    with freeze_time(START) as clock:
        client = _log_in(app)
        clock.tick(timedelta(minutes=5, seconds=1))
        assert not _logged_in(client)
    app.extensions["comms"].engine.dispose()


def test_active_use_keeps_the_session(app, editor) -> None:
    with freeze_time(START) as clock:
        client = _log_in(app)
        for _ in range(6):  # two and a half hours, a request every 25 minutes
            clock.tick(timedelta(minutes=25))
            assert _logged_in(client)


def test_active_session_still_ends_after_the_absolute_limit(app, editor) -> None:
    with freeze_time(START) as clock:
        client = _log_in(app)
        for _ in range(int(auth.SESSION_LIFETIME / timedelta(minutes=20)) - 1):
            clock.tick(timedelta(minutes=20))
            assert _logged_in(client)
        clock.tick(timedelta(minutes=20))
        assert not _logged_in(client)


def test_last_use_is_written_at_most_once_a_minute(app, session, editor) -> None:
    def last_seen() -> datetime:
        session.expire_all()
        return session.scalars(select(LoginSession.last_seen_at)).one()

    with freeze_time(START) as clock:
        client = _log_in(app)
        clock.tick(timedelta(seconds=50))
        assert _logged_in(client)
        assert last_seen() == START
        clock.tick(timedelta(seconds=20))
        assert _logged_in(client)
        assert last_seen() == START + timedelta(seconds=70)


def test_switched_off_account_is_logged_out(app, session, editor) -> None:
    client = _log_in(app)
    editor.active = False
    session.commit()
    assert not _logged_in(client)
