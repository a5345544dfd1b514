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
    runnable = re.findall(r"<script(?![^>]*application/ld\+json)", html)
    assert runnable == [] and " style=" not in html


def test_production_refuses_to_start_without_a_secret(tmp_path) -> None:
    with pytest.raises(ConfigMissing, match="COMMS_SECRET_KEY"):
        create_app(Settings(instance_path=tmp_path, production=True))


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
    done = _comms(args, tmp_path, COMMS_ENV="production")
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
