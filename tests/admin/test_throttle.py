"""Password tries are counted before they are checked, whatever runs in parallel."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

from sqlalchemy import func, select

from comms.admin import auth
from comms.admin.models import LoginAttempt, User
from tests.admin.helpers import PASSWORD, post
from tests.browser import serve

PARALLEL = 25
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _guesser(base: str, barrier: threading.Barrier, statuses: list[int]) -> None:
    """One attacker with its own cookie jar: load the form, wait, then guess."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/admin/login", timeout=30).read().decode()
    found = TOKEN.search(page)
    assert found is not None
    form = urllib.parse.urlencode(
        {
            "csrf_token": found.group(1),
            "email": "editor@example.org",
            "password": f"guess {threading.get_ident()}",
        }
    ).encode()
    barrier.wait(timeout=60)
    try:
        status = opener.open(f"{base}/admin/login", form, timeout=60).status
    except urllib.error.HTTPError as answer:
        status = answer.code
    statuses.append(status)


def test_parallel_guesses_are_checked_no_more_than_the_limit(
    app, session, editor
) -> None:
    statuses: list[int] = []
    barrier = threading.Barrier(PARALLEL)
    with serve(app) as base:
        threads = [
            threading.Thread(target=_guesser, args=(base, barrier, statuses))
            for _ in range(PARALLEL)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    seen = Counter(statuses)
    assert sum(seen.values()) == PARALLEL, seen
    assert set(seen) <= {401, 429}, seen
    assert seen[401] <= auth.ACCOUNT_HARD_LIMIT, seen
    assert seen[429] >= PARALLEL - auth.ACCOUNT_HARD_LIMIT, seen
    stored = session.scalar(select(func.count()).select_from(LoginAttempt))
    assert stored == seen[401]  # every checked try kept, no refused one


def _change(client, current: str):  # type: ignore[no-untyped-def]
    new = "a brand new passphrase"
    return post(
        client,
        "/admin/password",
        {"current_password": current, "new_password": new, "confirm_password": new},
    )


def test_password_change_guesses_are_throttled(editor_client, session, editor) -> None:
    statuses = [
        _change(editor_client, f"guess {n}").status_code
        for n in range(auth.ACCOUNT_HARD_LIMIT + 1)
    ]
    assert statuses == [422] * auth.ACCOUNT_HARD_LIMIT + [429]
    refused = _change(editor_client, PASSWORD)  # even the right one, for now
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    session.expire_all()
    assert auth.verify_password(session.get(User, editor.id), PASSWORD)


def test_password_change_guesses_count_towards_the_login_limit(
    app, editor_client
) -> None:
    for n in range(auth.ACCOUNT_HARD_LIMIT):
        assert _change(editor_client, f"guess {n}").status_code == 422
    login = post(
        app.test_client(),
        "/admin/login",
        {"email": "editor@example.org", "password": PASSWORD},
    )
    assert login.status_code == 429
