"""End to end, as deployed: the wheel, gunicorn behind nginx (docs/deploy.md)."""

from __future__ import annotations

import filecmp
import gzip
import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.browser import Browser
from tests.deploy.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Deployment, free_port

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/", "text/html"),
        ("/feed.xml", "application/rss+xml"),
        ("/feed.atom", "application/atom+xml"),
        ("/feed.json", "application/feed+json"),
        ("/api/v1/items", "application/json"),
        ("/sitemap.xml", "application/xml"),
    ],
)
def test_pages_and_feeds_arrive_compressed_through_nginx(
    deployment: Deployment, path: str, media_type: str
):
    browser = Browser(deployment.https_port, "127.0.0.4")
    status, headers, body = browser.request(
        "GET", path, headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200, (path, status)
    assert headers["content-type"].startswith(media_type)
    assert headers.get("content-encoding") == "gzip", path
    assert "accept-encoding" in headers.get("vary", "").lower()
    assert len(gzip.decompress(body)) > len(body)


def test_static_files_come_from_the_installed_package_with_hashed_names(
    deployment: Deployment,
):
    browser = Browser(deployment.https_port, "127.0.0.4")
    _, _, page = browser.request("GET", "/")
    css = re.search(rb'href="(/static/site\.[0-9a-f]{12}\.css)"', page)
    assert css
    status, headers, body = browser.request(
        "GET", css.group(1).decode(), headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers.get("content-encoding") == "gzip"
    status, headers, _ = browser.request("GET", "/favicon.ico")
    assert status == 200 and headers["content-type"] == "image/vnd.microsoft.icon"


def test_plain_http_redirects_to_https(deployment: Deployment):
    browser = Browser(deployment.http_port, "127.0.0.4", tls=False)
    status, headers, _ = browser.request("GET", "/reports/")
    assert status == 301
    assert (
        headers["location"].startswith("https://")
        and "/reports/" in headers["location"]
    )


def test_a_client_failing_logins_gets_429_and_another_client_logs_in(
    deployment: Deployment,
):
    attacker = Browser(deployment.https_port, "127.0.0.2")
    codes = [
        attacker.log_in(f"guess{n}@example.org", "wrong password") for n in range(31)
    ]
    assert set(codes[:30]) == {401} and codes[30] == 429
    officer = Browser(deployment.https_port, "127.0.0.3")
    assert officer.log_in(ADMIN_EMAIL, ADMIN_PASSWORD) == 303
    status, _, page = officer.request("GET", "/admin/")
    assert status == 200 and ADMIN_EMAIL.encode() in page


def test_without_trusted_proxies_a_forged_forwarded_for_changes_nothing(
    deployment: Deployment,
):
    port = free_port()
    deployment.start_gunicorn(
        "web-no-proxies", port, env={"COMMS_PROXIES": ""}, workers=1
    )
    try:
        client = Browser(port, "127.0.0.5", tls=False)
        client.request("GET", "/admin/login")  # the session cookie
        codes = []
        for n in range(31):
            forged = {"X-Forwarded-For": f"198.51.100.{n}"}
            _, _, page = client.request("GET", "/admin/login", headers=forged)
            token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
            assert token
            status, _, _ = client.request(
                "POST",
                "/admin/login",
                {"csrf_token": token.group(1).decode(),
                 "email": f"forger{n}@example.org", "password": "wrong"},
                headers=forged,
            )  # fmt: skip
            codes.append(status)
        assert set(codes[:30]) == {401} and codes[30] == 429
    finally:
        deployment.stop("web-no-proxies")


def _export(deployment: Deployment, out: Path, database: Path) -> None:
    done = deployment.comms(
        "export", str(out), env={"COMMS_DATABASE_URL": f"sqlite:///{database}"}
    )
    assert done.returncode == 0, done.stderr


def _same_tree(one: Path, two: Path) -> None:
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files, "the export holds files"
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    match, mismatch, errors = filecmp.cmpfiles(one, two, files, shallow=False)
    assert mismatch == [] and errors == []


def test_a_sqlite_backup_restored_into_an_empty_database_exports_the_same_bytes(
    deployment: Deployment,
):
    root = deployment.root
    live = root / "instance" / "comms.sqlite3"
    backup = root / "backup" / "comms.sqlite3"
    backup.parent.mkdir(exist_ok=True)
    # the documented online backup, while gunicorn serves
    subprocess.run(
        ["sqlite3", str(live), f".backup '{backup}'"], check=True, timeout=60
    )
    restored = root / "restored" / "comms.sqlite3"
    restored.parent.mkdir()
    subprocess.run(
        ["sqlite3", str(restored), f".restore '{backup}'"], check=True, timeout=60
    )
    _export(deployment, root / "export-live", live)
    _export(deployment, root / "export-restored", restored)
    _same_tree(root / "export-live", root / "export-restored")
