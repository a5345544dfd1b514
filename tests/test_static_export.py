"""`comms static export`: the demo site as static files with the same URLs."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from comms.catalogue.content_files import import_tree
from comms.catalogue.models import Item
from comms.static_export import export_site, output_path
from tests.conftest import CONTENT
from tests.factories import make_item


def _serve(folder: Path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/robots.txt")
            break
        except OSError:
            time.sleep(0.05)
    return proc, base


def test_static_export_answers_every_sitemap_url_like_the_live_site(
    app, client, session, store, tmp_path
):
    import_tree(session, store, CONTENT)
    session.commit()
    out = tmp_path / "site"
    report = export_site(app, out)
    assert report.written > 30 and report.removed == 0
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    site_url = app.extensions["comms"].settings.site_url
    # The export holds the default language; the others' URLs carry ?lang= (issue 18)
    paths = [
        u.removeprefix(site_url)
        for u in re.findall(r"<loc>([^<]+)</loc>", sitemap)
        if "?lang=" not in u
    ]
    assert "/reports/stresstest-lombardia/" in paths
    proc, base = _serve(out)
    try:
        for path in paths:
            with (
                client.get(path) as live,
                urllib.request.urlopen(base + path) as static,
            ):
                assert static.status == live.status_code == 200, path
                assert static.read() == live.get_data(), path
        report_file = "/reports/stresstest-lombardia/files/stresstest-lombardia.pdf"
        with urllib.request.urlopen(base + report_file) as static:
            assert (
                static.read()
                == (CONTENT / "media/stresstest-lombardia.pdf").read_bytes()
            )
    finally:
        proc.terminate()
        proc.wait()


def test_second_export_rewrites_nothing_and_unpublished_pages_are_removed(
    app, session, store, tmp_path
):
    import_tree(session, store, CONTENT)
    session.commit()
    out = tmp_path / "site"
    export_site(app, out)
    page = out / "reports/policy-report/index.html"
    stamp = page.stat().st_mtime_ns
    again = export_site(app, out)
    assert again.written == 0 and again.removed == 0
    assert page.stat().st_mtime_ns == stamp
    item = session.scalars(select(Item).where(Item.slug == "policy-report")).one()
    item.status = "draft"
    session.commit()
    third = export_site(app, out)
    assert not page.exists()
    assert third.removed >= 1 and third.written >= 1


def test_exported_files_are_readable_by_a_web_server_of_another_user(
    app, session, store, tmp_path
):
    """Every file gets the umask's mode (0644 here): nginx, running as another user
    than the one exporting, reads them (they were 0600, from tempfile.mkstemp)."""
    import_tree(session, store, CONTENT)
    session.commit()
    out = tmp_path / "site"
    old = os.umask(0o022)
    try:
        export_site(app, out)
        make_item(session, slug="fresh", tags=["clusters"])
        export_site(app, out)  # an incremental export's files too
    finally:
        os.umask(old)
    files = [path for path in out.rglob("*") if path.is_file()]
    assert len(files) > 30
    assert (out / "press-releases/fresh/index.html") in files
    modes = {oct(stat.S_IMODE(path.stat().st_mode)) for path in files}
    assert modes == {"0o644"}
    assert not [path for path in files if path.name.startswith(".tmp-")]


def test_output_path_refuses_traversal():
    assert str(output_path("/reports/")) == "reports/index.html"
    assert str(output_path("/feed.xml")) == "feed.xml"
    for bad in ("/../etc/passwd", "/a/%2e%2e/b"):
        try:
            output_path(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_cli_static_export_prints_summary(runner, session, store, tmp_path):
    import_tree(session, store, CONTENT)
    session.commit()
    result = runner.invoke(args=["static", "export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"\d+ files in .*: \d+ written, 0 unchanged, 0 removed", result.output
    )


def test_static_export_of_the_demo_site_loads_no_image_from_google(
    app, client, session, store, tmp_path
):
    import_tree(session, store, CONTENT)
    session.commit()
    out = tmp_path / "site"
    export_site(app, out)
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for host in (b"ytimg.com", b"googleusercontent", b"ggpht.com"):
                assert host not in data, (path, host)
    demo_videos = session.scalars(select(Item).where(Item.kind == "video")).all()
    assert demo_videos
    for video in demo_videos:
        url = f"/videos/{video.slug}/thumbnail.jpg"
        with client.get(url) as live:
            assert live.status_code == 200
            assert (out / url.lstrip("/")).read_bytes() == live.data, url


def _paths_reaching_flask(app) -> list[str]:
    """Wrap what the page cache's replay middleware calls: the paths Flask served."""
    ran: list[str] = []
    inner = app.wsgi_app.wsgi_app

    def served(environ, start_response):
        ran.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app.wsgi_app = served
    return ran


def test_an_export_is_never_counted_even_when_the_page_cache_replays_it(
    app, client, session, tmp_path
):
    from comms.kpi import counting
    from tests.factories import make_item
    from tests.kpi.helpers import counts

    make_item(session, slug="launch")
    reader = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"}
    page = client.get("/press-releases/launch/", headers=reader)
    client.get("/press-releases/launch/", headers=reader)  # replayed, counted
    ran = _paths_reaching_flask(app)
    export_site(app, tmp_path / "site")
    assert "/press-releases/launch/" not in ran  # the export got the replay
    exported = tmp_path / "site/press-releases/launch/index.html"
    assert exported.read_bytes() == page.data
    assert counts(session, counting.ITEM_VIEW) == {
        (counting.today(), "press-releases/launch"): 2
    }


def test_an_export_stores_no_page_in_the_page_cache(app, session, tmp_path):
    from tests.factories import make_item

    make_item(session, slug="launch")
    report = export_site(app, tmp_path / "site")
    assert report.written > 5
    root = app.extensions["comms"].settings.instance_path / "cache"
    stored = [p for p in root.rglob("*") if p.is_file() and p.parent != root]
    assert stored == []
