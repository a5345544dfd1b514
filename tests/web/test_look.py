"""The site's look: logo and colours from site.yml, pictures, the report's download
box, related items and breadcrumbs."""

from __future__ import annotations

import io
import json
import re
from html import unescape
from pathlib import Path

import pytest
from PIL import Image

from comms.catalogue.content_files import import_tree
from comms.errors import ConfigMissing
from comms.site import load_site
from tests.factories import future, make_item, make_pdf, past, write_content

LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'


def _site_yml(content_dir: Path, extra: str) -> None:
    site = content_dir / "site.yml"
    site.write_text(site.read_text() + extra)


def _with_logo(content_dir: Path) -> None:
    (content_dir / "media").mkdir(exist_ok=True)
    (content_dir / "media" / "logo.svg").write_text(LOGO)


@pytest.fixture
def branded(content_dir: Path) -> Path:
    """site.yml with the project's logo and colours (ask for it before ``client``)."""
    _with_logo(content_dir)
    _site_yml(
        content_dir,
        'logo: media/logo.svg\ncolours: {primary: "#0A5A6E", accent: "#f4c430"}\n',
    )
    return content_dir


# --- site.yml: logo and colours ----------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("logo: media/missing.svg\n", "logo: no file media/missing.svg"),
        ("logo: media/logo.gif\n", "logo: must be a .svg or .png file"),
        ("logo: ../logo.svg\n", "logo: must stay inside media/"),
        ("colours: [red]\n", "colours: must be a mapping {primary, accent}"),
        ("colours: {primary: blue}\n", "colours.primary: 'blue' is not a hex colour"),
        ('colours: {primary: "#12345"}\n', "colours.primary: '#12345' is not a hex"),
        ('colours: {accent: "#ggg"}\n', "colours.accent: '#ggg' is not a hex colour"),
        ('colours: {secondary: "#000"}\n', "unknown colour 'secondary'"),
        ('colours: {primary: "#7fa7c9"}\n', "colours.primary: #7fa7c9 is too light"),
        (
            'colours: {primary: "#0a5a6e", accent: "#1d6f85"}\n',
            "colours.accent: #1d6f85 does not stand out on #0a5a6e",
        ),
    ],
)
def test_bad_logo_or_colours_in_site_yml_are_refused_in_one_line(
    content_dir, extra, problem
):
    _with_logo(content_dir)
    _site_yml(content_dir, extra)
    with pytest.raises(ConfigMissing, match=re.escape(problem)) as error:
        load_site(content_dir)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith(str(content_dir / "site.yml"))


def test_colours_are_read_in_one_form(branded):
    site = load_site(branded)
    assert (site.logo, site.primary_colour, site.accent_colour) == (
        "media/logo.svg",
        "#0a5a6e",
        "#f4c430",
    )
    assert "media/logo.svg" in site.identity_files()


def test_site_colours_reach_every_page_as_a_cached_stylesheet(branded, client):
    page = client.get("/").text
    found = re.search(
        r'<link rel="stylesheet" href="(/theme\.[0-9a-f]{12}\.css)">', page
    )
    assert found, "no colour stylesheet"
    assert '<meta name="theme-color" content="#0a5a6e">' in page
    css = client.get(found.group(1))
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "--brand: #0a5a6e;" in css.text and "--link: #0a5a6e;" in css.text
    assert "--highlight: #f4c430;" in css.text
    assert "immutable" in css.headers["Cache-Control"]
    assert "max-age=31536000" in css.headers["Cache-Control"]
    assert client.get("/theme.000000000000.css").status_code == 404


def test_without_colours_the_site_keeps_its_own_look(client):
    page = client.get("/").text
    assert "/theme." not in page and "theme-color" not in page
    assert 'class="brand-logo"' not in page


def test_the_projects_logo_stands_beside_its_name(branded, client):
    page = client.get("/").text
    header = page[page.index("<header") : page.index("</header>")]
    brand = re.search(r'<a class="brand" href="/">(.*?)</a>', header)
    assert brand is not None
    assert '<img class="brand-logo" src="/media/logo.svg" alt=""' in brand.group(1)
    assert "<span>Test Project</span>" in brand.group(1)
    with client.get("/media/logo.svg") as logo:
        assert logo.status_code == 200 and logo.data == LOGO.encode()


# --- pictures: covers, thumbnails, placeholders ------------------------------------

REPORT = """---
title: Policy report
summary: What the regions learned.
status: {status}
published_at: 2024-05-01T09:00:00Z
tags: [clusters]
files: [{{path: ../media/policy.pdf, language: de}}]
---
The report.
"""


def _import_report(
    session, store, content_dir: Path, status: str = "published", pages: int = 3
) -> bytes:
    data = make_pdf("Policy report", pages=pages)
    (content_dir / "media").mkdir(exist_ok=True)
    (content_dir / "media" / "policy.pdf").write_bytes(data)
    write_content(content_dir, "reports/policy.en.md", REPORT.format(status=status))
    report = import_tree(session, store, content_dir)
    assert not report.problems
    session.commit()
    return data


def test_import_renders_a_reports_cover_shown_with_its_size(
    session, store, content_dir, client
):
    _import_report(session, store, content_dir)
    with client.get("/reports/policy/cover.jpg") as cover:
        assert cover.status_code == 200 and cover.mimetype == "image/jpeg"
        data = cover.data
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        # the first page's text is drawn: not a blank sheet
        assert image.convert("L").getextrema()[0] < 100
    assert width == 480 and height > width
    listing = client.get("/reports/").text
    assert (
        f'<div class="card-media media-cover"><img class="card-image" '
        f'src="/reports/policy/cover.jpg" alt="" width="{width}" height="{height}"'
    ) in listing


def test_a_drafts_cover_is_not_public(session, store, content_dir, client):
    _import_report(session, store, content_dir, status="draft")
    assert client.get("/reports/policy/cover.jpg").status_code == 404


def test_an_item_without_picture_gets_the_kinds_placeholder_not_a_gap(session, client):
    make_item(session, kind="press_release", slug="news")
    make_item(session, kind="event", slug="meet")
    page = client.get("/").text
    cards = re.findall(
        r'<article class="card card-(\w+)[^"]*".*?</article>', page, re.S
    )
    assert sorted(cards) == ["event", "press_release"]
    for kind in ("press_release", "event"):
        card = re.search(
            rf'<article class="card card-{kind}.*?</article>', page, re.S
        ).group(0)
        assert (
            '<div class="card-media media-placeholder" aria-hidden="true"><svg' in card
        )
        assert "<img" not in card


def test_a_video_without_fetched_thumbnail_shows_the_sites_colour(
    branded, session, client
):
    make_item(session, kind="video", slug="film")
    page = client.get("/videos/").text
    assert 'src="/videos/film/thumbnail.jpg"' in page
    response = client.get("/videos/film/thumbnail.jpg")
    assert response.headers["X-Thumbnail"] == "placeholder"
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == (640, 360)
        red, green, blue = image.convert("RGB").getpixel((20, 20))
    # near the primary colour #0a5a6e (10, 90, 110), never the old grey
    assert abs(red - 10) < 25 and abs(green - 90) < 25 and abs(blue - 110) < 25


# --- the report's download box -------------------------------------------------------


def test_report_page_offers_a_download_button_with_size_pages_and_language(
    session, store, content_dir, client
):
    data = _import_report(session, store, content_dir, pages=3)
    page = client.get("/reports/policy/").text
    box = page[page.index('<section class="side-box download-box') :]
    box = box[: box.index("</section>")]
    assert 'href="/reports/policy/files/policy.pdf" download>' in box
    assert "Download PDF" in box
    size = f"{round(len(data) / 1024)} KB"
    meta = re.search(r'<span class="file-meta">(.*?)</span>\s*</div>', box, re.S)
    assert meta is not None
    assert unescape(re.sub(r"<[^>]+>", "", meta.group(1))) == (
        f"PDF, {size} · 3 pages · Deutsch"
    )
    german = client.get("/reports/policy/?lang=de").text
    assert "PDF herunterladen" in german and "3 Seiten" in german


def test_file_sizes_read_as_people_say_them(app):
    from comms.i18n import format_file_size

    with app.test_request_context("/?lang=de"):
        assert format_file_size(300) == "1 KB"
        assert format_file_size(7 * 1024) == "7 KB"
        assert format_file_size(int(2.45 * 1024 * 1024)) in ("2,4 MB", "2,5 MB")
    with app.test_request_context("/?lang=fr"):
        assert format_file_size(1500 * 1024) == "1,5 Mo"
        assert format_file_size(12_345 * 1024).replace("\u202f", " ") == "12,1 Mo"


# --- related items ----------------------------------------------------------------


def _related_titles(page: str) -> list[str]:
    if 'class="related"' not in page:
        return []
    block = page[page.index('<ul class="related">') :]
    block = block[: block.index("</ul>")]
    return re.findall(r'<span class="related-title">([^<]+)</span>', block)


def test_related_items_share_a_topic_or_region_newest_first_and_public_only(
    session, client
):
    make_item(session, slug="main", title="Main", tags=["clusters"], regions=["bayern"])
    make_item(session, title="Same region", regions=["bayern"], published_at=past(30))
    make_item(session, title="Old topic", tags=["clusters"], published_at=past(20))
    make_item(session, title="New topic", tags=["clusters"], published_at=past(2))
    make_item(session, title="Unrelated", tags=["tourism"])
    make_item(session, title="Draft", tags=["clusters"], status="draft")
    make_item(session, title="Scheduled", tags=["clusters"], published_at=future(2))
    make_item(session, title="Archived", tags=["clusters"], status="archived")
    make_item(session, title="Nur Deutsch", tags=["clusters"], language="de")
    make_item(
        session, slug="main-de", translation="main", title="Haupt", language="de",
        tags=["clusters"],
    )  # fmt: skip
    page = client.get("/press-releases/main/").text
    # a shared region weighs more than a shared topic; then newest first
    assert _related_titles(page) == ["Same region", "New topic", "Old topic"]


def test_related_items_stop_at_four_and_take_the_pages_language(session, client):
    make_item(session, slug="main", tags=["clusters"])
    for n in range(6):
        make_item(
            session, slug=f"r{n}", title=f"Related {n}", tags=["clusters"],
            published_at=past(10 - n),
        )  # fmt: skip
    make_item(
        session, slug="r5-de", translation="r5", title="Verwandt 5", language="de",
        tags=["clusters"], published_at=past(5),
    )  # fmt: skip
    assert _related_titles(client.get("/press-releases/main/").text) == [
        "Related 5",
        "Related 4",
        "Related 3",
        "Related 2",
    ]


def test_an_item_without_topics_or_regions_has_no_related_box(session, client):
    make_item(session, slug="alone")
    make_item(session, title="Other")
    assert (
        'class="side-box related-box"' not in client.get("/press-releases/alone/").text
    )


# --- breadcrumbs ------------------------------------------------------------------


def test_item_page_has_breadcrumbs_and_their_structured_data(session, client):
    make_item(session, kind="event", slug="meet", title="Regional workshop")
    page = client.get("/events/meet/").text
    nav = re.search(
        r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', page, re.S
    )
    assert nav is not None
    crumbs = re.findall(r"<li>(.*?)</li>", nav.group(1), re.S)
    assert crumbs == [
        '<a href="/">Home</a>',
        '<a href="/events/">Events</a>',
        '<span aria-current="page">Regional workshop</span>',
    ]
    lists = [
        json.loads(block)
        for block in re.findall(
            r'<script type="application/ld\+json">(.*?)</script>', page, re.S
        )
    ]
    trail = next(d for d in lists if d.get("@type") == "BreadcrumbList")
    assert [
        (e["position"], e["name"], e["item"]) for e in trail["itemListElement"]
    ] == [
        (1, "Home", "http://127.0.0.1:5000/"),
        (2, "Events", "http://127.0.0.1:5000/events/"),
        (3, "Regional workshop", "http://127.0.0.1:5000/events/meet/"),
    ]
    german = client.get("/events/meet/?lang=de").text
    assert '<a href="/">Startseite</a>' in german
    assert '<a href="/events/">Veranstaltungen</a>' in german
