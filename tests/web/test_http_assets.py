"""HTTP a deployment expects: hashed immutable static files, icons, right Vary."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from comms import create_app
from comms.db import init_db
from comms.errors import ConfigMissing
from comms.site import load_site
from comms.web.assets import build_manifest
from tests.conftest import CONTENT
from tests.factories import make_item

IMMUTABLE = "public, max-age=31536000, immutable"


def _get(client, url: str, **options):  # type: ignore[no-untyped-def]
    """GET ``url`` and read the whole answer (file answers closed at once)."""
    answer = client.get(url, **options)
    answer.get_data()
    answer.close()
    return answer


def test_static_files_are_linked_by_hashed_names_served_immutable(client):
    page = client.get("/").text
    css = re.search(r'href="(/static/site\.[0-9a-f]{12}\.css)"', page)
    assert css, "the stylesheet is linked by a hashed name"
    answer = _get(client, css.group(1))
    assert answer.status_code == 200 and answer.mimetype == "text/css"
    assert answer.headers["Cache-Control"] == IMMUTABLE
    plain = _get(client, "/static/site.css")
    assert plain.status_code == 200 and plain.data == answer.data
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    assert client.get("/static/site.000000000000.css").status_code == 404


def test_a_changed_static_file_gets_a_new_name(tmp_path):
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "app.js").write_text("one")
    (tmp_path / ".hidden").write_text("x")
    before = build_manifest(tmp_path).hashed
    assert list(before) == ["js/app.js"]
    assert re.fullmatch(r"js/app\.[0-9a-f]{12}\.js", before["js/app.js"])
    (tmp_path / "js" / "app.js").write_text("two")
    assert build_manifest(tmp_path).hashed["js/app.js"] != before["js/app.js"]


@pytest.fixture
def demo_site(settings):  # type: ignore[no-untyped-def]
    """The app with the demo content's site.yml and media (icons named there)."""
    app = create_app(replace(settings, content_dir=CONTENT))
    init_db(app.extensions["comms"].engine)
    yield app
    app.extensions["comms"].engine.dispose()


def test_the_favicon_and_app_icons_are_the_sites_own(demo_site):
    client = demo_site.test_client()
    icon = _get(client, "/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/vnd.microsoft.icon"
    assert icon.data == (CONTENT / "media" / "favicon.ico").read_bytes()
    assert "max-age=86400" in icon.headers["Cache-Control"]
    page = client.get("/").text
    # the ICO for every browser, the SVG for those that take one (sharp at any size)
    assert '<link rel="icon" href="/favicon.ico" sizes="32x32">' in page
    svg = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert svg, "no SVG icon"
    vector = _get(client, svg.group(1))
    assert vector.status_code == 200 and vector.mimetype == "image/svg+xml"
    assert vector.data == (CONTENT / "media" / "icon.svg").read_bytes()
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page)
    assert (
        touch
        and _get(client, touch.group(1)).data
        == (CONTENT / "media" / "icon-180.png").read_bytes()
    )
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = json.loads(manifest.data)
    assert body["name"] == "S3-4AlpClusters"
    assert {(i["src"], i["sizes"]) for i in body["icons"]} == {
        ("/media/icon-180.png", "180x180"),
        ("/media/icon-512.png", "512x512"),
    }
    for entry in body["icons"]:
        assert _get(client, entry["src"]).status_code == 200


def test_a_site_without_icons_has_no_favicon(client):
    assert client.get("/favicon.ico").status_code == 404
    assert 'rel="icon"' not in client.get("/").text


@pytest.mark.parametrize(
    ("icons", "problem"),
    [
        ("{favicon: ../secret.ico}", "icons.favicon: must stay inside media/"),
        ("{touch: media/icon.jpg}", "icons.touch: must be a .png file"),
        ("{svg: media/icon.png}", "icons.svg: must be a .svg file"),
        ("{logo: media/x.png}", "unknown icon 'logo'"),
        ("[media/x.png]", "icons: must be a mapping"),
    ],
)
def test_site_yml_icons_are_checked(tmp_path, icons, problem):
    (tmp_path / "site.yml").write_text(f"name: X\nicons: {icons}\n")
    with pytest.raises(ConfigMissing, match=re.escape(problem)):
        load_site(tmp_path)


NEGOTIATED = [
    "/",
    "/press-releases/",
    "/search?q=energy",
    "/search",
    "/newsletter/subscribe",
    "/no-such-page",
]


def _vary(answer) -> set[str]:  # type: ignore[no-untyped-def]
    return {v.strip().lower() for v in answer.headers.get("Vary", "").split(",")}


def test_every_answer_that_changes_with_the_language_says_vary(app, client, session):
    make_item(session, slug="first", title="Energy first", tags=["energy"])
    differs = 0
    for url in NEGOTIATED:
        english = client.get(url, headers={"Accept-Language": "en"})
        german = client.get(url, headers={"Accept-Language": "de"})
        client.set_cookie("lang", "fr")
        by_cookie = client.get(url, headers={"Accept-Language": "en"})
        client.delete_cookie("lang")
        if english.data != german.data:
            differs += 1
            assert "accept-language" in _vary(english), url
            assert "accept-language" in _vary(german), url
        if english.data != by_cookie.data:
            assert "cookie" in _vary(english), url
            assert "cookie" in _vary(by_cookie), url
    assert differs == len(NEGOTIATED)  # each of them is negotiated


def test_answers_that_do_not_negotiate_do_not_vary_on_the_language(client):
    for url in ("/robots.txt", "/api/v1/tags", "/healthz"):
        assert "accept-language" not in _vary(client.get(url)), url
