"""Behind reverse proxies: every per-client limit keys on the real client.

COMMS_PROXIES=N believes the X-Forwarded-* headers of the N proxies in front; with
0 (the default) they are ignored, so a client cannot escape a limit by forging them.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from comms import create_app
from comms.admin import auth
from comms.config import Settings
from comms.db import init_db
from comms.errors import ConfigMissing
from comms.search import views as search_views
from tests.admin.helpers import PASSWORD, make_user, post
from tests.redis_server import reachable_redis

REDIS_URL = "redis://127.0.0.1:6379/0"
PROXY = "127.0.0.1"  # the socket peer: the proxy (nginx) on this host


def _app(settings: Settings, **changes):  # type: ignore[no-untyped-def]
    app = create_app(replace(settings, **changes))
    init_db(app.extensions["comms"].engine)
    return app


@pytest.fixture
def behind_one_proxy(settings):  # type: ignore[no-untyped-def]
    """The app with COMMS_PROXIES=1."""
    app = _app(settings, proxies=1)
    yield app
    app.extensions["comms"].engine.dispose()


def _from(client_address: str) -> dict[str, object]:
    """Request options of a request forwarded by the proxy for ``client_address``."""
    return {
        "environ_base": {"REMOTE_ADDR": PROXY},
        "headers": {"X-Forwarded-For": client_address},
    }


def _fail_logins(client, count: int, **options):  # type: ignore[no-untyped-def]
    """``count`` wrong passwords for random accounts; the status codes."""
    return [
        post(
            client,
            "/admin/login",
            {"email": f"{uuid.uuid4().hex[:8]}@example.org", "password": "guess"},
            **options,
        ).status_code
        for _ in range(count)
    ]


def test_settings_read_the_number_of_proxies():
    assert Settings.from_env({}).proxies == 0
    assert Settings.from_env({"COMMS_PROXIES": "2"}).proxies == 2
    for bad in ("-1", "one", "11"):
        with pytest.raises(ConfigMissing, match="COMMS_PROXIES"):
            Settings.from_env({"COMMS_PROXIES": bad})


def test_one_client_failing_logins_behind_the_proxy_does_not_lock_out_another(
    behind_one_proxy, session
):
    make_user(session, "officer@example.org")
    client = behind_one_proxy.test_client()
    codes = _fail_logins(client, auth.ADDRESS_HARD_LIMIT + 1, **_from("203.0.113.5"))
    assert codes[-1] == 429 and set(codes[:-1]) == {401}
    officer = behind_one_proxy.test_client()
    answer = post(
        officer,
        "/admin/login",
        {"email": "officer@example.org", "password": PASSWORD},
        **_from("198.51.100.7"),
    )
    assert answer.status_code == 303
    # the attacker stays refused, whatever it forges in front of the proxy's entry
    options = _from("192.0.2.1, 203.0.113.5")
    assert _fail_logins(client, 1, **options) == [429]


def test_forged_forwarded_for_changes_nothing_without_trusted_proxies(app):
    client = app.test_client()
    codes = [
        _fail_logins(client, 1, headers={"X-Forwarded-For": f"198.51.100.{n}"})[0]
        for n in range(auth.ADDRESS_HARD_LIMIT + 1)
    ]
    assert codes[-1] == 429 and set(codes[:-1]) == {401}
    assert _fail_logins(client, 1, headers={"X-Forwarded-For": "192.0.2.200"}) == [429]


def _who_am_i(app):  # type: ignore[no-untyped-def]
    """A client of ``app`` with a route that shows what the app sees of a request."""
    from flask import request

    @app.get("/_who")
    def who() -> str:
        return f"{request.scheme} {request.host} {request.remote_addr}"

    return app.test_client()


def test_forwarded_headers_are_believed_only_from_trusted_proxies(
    app, behind_one_proxy
):
    forged = {
        "X-Forwarded-For": "192.0.2.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "news.example.eu",
    }
    direct = _who_am_i(app).get("/_who", headers=forged)
    assert direct.text == "http localhost 127.0.0.1"
    proxy_client = _who_am_i(behind_one_proxy)
    proxied = proxy_client.get(
        "/_who", headers=forged, environ_base={"REMOTE_ADDR": PROXY}
    )
    assert proxied.text == "https news.example.eu 192.0.2.9"
    # two addresses: the proxy appended the peer; only its entry is believed
    chained = proxy_client.get(
        "/_who", headers={"X-Forwarded-For": "10.6.6.6, 192.0.2.9"}
    )
    assert chained.text.endswith(" 192.0.2.9")


def test_the_api_limit_keys_on_the_real_client(settings):
    app = _app(settings, proxies=1, api_rate_limit=2)
    try:
        client = app.test_client()
        first = client.get("/api/v1/tags", **_from("203.0.113.5"))
        assert first.headers["X-RateLimit-Remaining"] == "1"
        assert client.get("/api/v1/tags", **_from("203.0.113.5")).status_code == 200
        refused = client.get("/api/v1/tags", **_from("203.0.113.5"))
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert client.get("/api/v1/tags", **_from("198.51.100.7")).status_code == 200
    finally:
        app.extensions["comms"].engine.dispose()


def test_a_forged_forwarded_for_does_not_escape_the_api_limit(settings):
    app = _app(settings, api_rate_limit=1)
    try:
        client = app.test_client()
        assert client.get("/api/v1/tags").status_code == 200
        forged = client.get("/api/v1/tags", headers={"X-Forwarded-For": "192.0.2.9"})
        assert forged.status_code == 429
    finally:
        app.extensions["comms"].engine.dispose()


def test_searches_are_limited_per_real_client(behind_one_proxy):
    client = behind_one_proxy.test_client()
    allowed = search_views.PER_CLIENT.amount
    codes = [
        client.get(f"/search?q=word{n}", **_from("203.0.113.5")).status_code
        for n in range(allowed + 1)
    ]
    assert set(codes[:-1]) == {200} and codes[-1] == 429
    refused = client.get("/search?q=other", **_from("203.0.113.5"))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 60
    assert "too many searches" in refused.text
    assert client.get("/search?q=other", **_from("198.51.100.7")).status_code == 200
    # the empty form costs no query and is never refused
    assert client.get("/search", **_from("203.0.113.5")).status_code == 200


def _redis(settings: Settings) -> Settings:
    url = reachable_redis(REDIS_URL)
    return replace(settings, ratelimit_storage_url=url, proxies=1)


def test_two_app_instances_behind_proxies_share_the_limits_through_redis(settings):
    shared = replace(_redis(settings), api_rate_limit=3)
    first, second = create_app(shared), create_app(shared)
    try:
        init_db(first.extensions["comms"].engine)
        run = uuid.uuid4().hex  # a fresh client each run: Redis keeps counts
        address = f"fd{run[:2]}:{run[2:6]}:{run[6:10]}::1"
        one, two = first.test_client(), second.test_client()
        codes = [
            c.get("/api/v1/tags", **_from(address)).status_code
            for c in (one, two, one, two)
        ]
        assert codes == [200, 200, 200, 429]
        bursts = [
            c.get(f"/search?q=w{n}", **_from(address)).status_code
            for n, c in enumerate([one, two] * 31)
        ]
        assert bursts.count(200) == search_views.PER_CLIENT.amount
        assert bursts[-1] == 429
    finally:
        for app in (first, second):
            app.extensions["comms"].engine.dispose()
