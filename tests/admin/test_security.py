"""Security headers, the production secret and the `comms user` commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from comms import create_app
from comms.admin import auth
from comms.admin.models import AuditEntry, User
from comms.config import Settings
from comms.errors import ConfigMissing

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/", "/admin/login", "/feed.xml", "/nowhere"])
def test_every_response_carries_the_security_headers(client, path: str) -> None:
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-src https://www.youtube-nocookie.com" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_https_site_sends_hsts(settings) -> None:
    app = create_app(replace(settings, site_url="https://news.example.org"))
    response = app.test_client().get("/robots.txt")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    app.extensions["comms"].engine.dispose()


def test_admin_pages_are_not_cached_and_have_no_inline_script(client) -> None:
    response = client.get("/admin/login")
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*(?:application/ld\+json|\bsrc=))", html)
    assert inline == [] and " style=" not in html
    # the admin shell's own script only, from this site's static files
    sources = re.findall(r"<script[^>]*\bsrc=\"([^\"]*)\"", html)
    assert all(src.startswith("/static/") for src in sources), sources


def test_production_refuses_to_start_without_a_secret(tmp_path) -> None:
    with pytest.raises(ConfigMissing, match="COMMS_SECRET_KEY"):
        create_app(Settings(instance_path=tmp_path, production=True))


STRONG_SECRET = "s" * 32
PRODUCTION = {
    "COMMS_ENV": "production",
    "COMMS_SECRET_KEY": STRONG_SECRET,
    "COMMS_SITE_URL": "https://news.example.org",
}
SHORT_SECRET = "COMMS_SECRET_KEY must be at least 32 bytes in production (it has 31)"
PLAIN_HTTP = "COMMS_SITE_URL must start with https:// in production"


def test_production_settings_accept_a_long_secret_and_https() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.production and settings.https


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"COMMS_SECRET_KEY": "s" * 31}, SHORT_SECRET),
        ({"COMMS_SECRET_KEY": "é" * 15 + "s"}, SHORT_SECRET),  # bytes, not letters
        ({"COMMS_SITE_URL": "http://news.example.org"}, PLAIN_HTTP),
        ({"COMMS_SITE_URL": "news.example.org"}, PLAIN_HTTP),
    ],
)
def test_production_refuses_weak_settings(change, problem) -> None:
    with pytest.raises(ConfigMissing, match=re.escape(problem)):
        Settings.from_env(PRODUCTION | change)


def test_production_names_every_weak_setting_at_once() -> None:
    weak = PRODUCTION | {"COMMS_SECRET_KEY": "x", "COMMS_SITE_URL": "http://a.org"}
    with pytest.raises(ConfigMissing) as caught:
        Settings.from_env(weak)
    assert "at least 32 bytes" in str(caught.value)
    assert PLAIN_HTTP in str(caught.value)


def test_plain_http_is_allowed_only_when_asked() -> None:
    local = PRODUCTION | {"COMMS_SITE_URL": "http://127.0.0.1:5000"}
    settings = Settings.from_env(local | {"COMMS_ALLOW_HTTP": "1"})
    assert settings.allow_http and not settings.https
    with pytest.raises(ConfigMissing, match=PLAIN_HTTP):
        Settings.from_env(local | {"COMMS_ALLOW_HTTP": "0"})


def test_development_keeps_short_secrets_and_plain_http() -> None:
    settings = Settings.from_env({"COMMS_SECRET_KEY": "x"})
    assert not settings.production and settings.secret_key == "x"


def test_settings_built_in_code_are_checked_too(tmp_path) -> None:
    weak = Settings(
        instance_path=tmp_path,
        production=True,
        secret_key="x",
        site_url="https://news.example.org",
    )
    with pytest.raises(ConfigMissing, match="at least 32 bytes"):
        create_app(weak)


def test_serve_with_weak_production_settings_is_one_clear_line(tmp_path) -> None:
    done = _comms(["serve"], tmp_path, **(PRODUCTION | {"COMMS_SECRET_KEY": "short"}))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: COMMS_SECRET_KEY must")
    done = _comms(
        ["serve"], tmp_path, **(PRODUCTION | {"COMMS_SITE_URL": "http://a.org"})
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: {PLAIN_HTTP} (it is 'http://a.org'); COMMS_ALLOW_HTTP=1 allows "
        "plain http for tests and local runs only"
    ]


def test_idle_minutes_setting_is_read_and_checked() -> None:
    assert Settings.from_env({}).session_idle_minutes == 30
    assert (
        Settings.from_env({"COMMS_SESSION_IDLE_MINUTES": "5"}).session_idle_minutes == 5
    )
    with pytest.raises(ConfigMissing, match="COMMS_SESSION_IDLE_MINUTES must be"):
        Settings.from_env({"COMMS_SESSION_IDLE_MINUTES": "0"})


@pytest.mark.parametrize(
    ("site_url", "secure"),
    [("http://127.0.0.1:5000", False), ("https://news.example.org", True)],
)
def test_lang_cookie_is_secure_on_an_https_site(settings, site_url, secure) -> None:
    from comms.db import init_db

    app = create_app(replace(settings, site_url=site_url))
    init_db(app.extensions["comms"].engine)
    response = app.test_client().get("/?lang=de")
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure
    app.extensions["comms"].engine.dispose()


def _comms(
    args: list[str], tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = (
        {k: v for k, v in os.environ.items() if not k.startswith("COMMS_")}
        | {"COMMS_INSTANCE_PATH": str(tmp_path), "COMMS_CONTENT_DIR": str(tmp_path)}
        | env
    )
    return subprocess.run(
        [sys.executable, "-m", "comms", *args],
        capture_output=True, text=True, env=environ, cwd=tmp_path, timeout=60,
        input="",
    )  # fmt: skip


@pytest.mark.parametrize(
    "args", [["user", "create", "a@example.org"], ["serve", "--workers", "2"]]
)
def test_production_without_secret_is_one_clear_line(tmp_path, args) -> None:
    done = _comms(
        args, tmp_path, COMMS_ENV="production", COMMS_SITE_URL="https://example.org"
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert lines == ["Error: COMMS_SECRET_KEY is required in production"]


def test_user_create_reads_the_password_from_stdin(runner, session) -> None:
    result = runner.invoke(
        args=["user", "create", "Officer@Example.org", "--role", "admin",
              "--password-stdin"],
        input="a long secret phrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "created admin account officer@example.org" in result.output
    user = session.scalars(select(User)).one()
    assert user.role == "admin" and user.password_hash.startswith("$argon2id$")
    assert auth.verify_password(user, "a long secret phrase")
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.user_email) == ("create-user", "command line")


def test_user_create_prompts_and_refuses_weak_or_duplicate(runner, session) -> None:
    ok = runner.invoke(
        args=["user", "create", "ed@example.org"],
        input="a long secret phrase\na long secret phrase\n",
    )
    short = runner.invoke(
        args=["user", "create", "b@example.org", "--password-stdin"], input="short\n"
    )
    twice = runner.invoke(
        args=["user", "create", "ED@example.org", "--password-stdin"],
        input="another long phrase\n",
    )
    assert ok.exit_code == 0, ok.output
    assert session.scalars(select(User)).one().role == "editor"
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert twice.exit_code != 0 and "already exists" in twice.output
