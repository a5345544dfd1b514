"""/topics/<topic>/ and /regions/<region>/: the pages of one topic and one region."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from comms.errors import ConfigMissing
from comms.site import load_site
from tests.factories import make_item
from tests.web.helpers import cards, make, page_url, text

SITE = "http://127.0.0.1:5000"
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "x": "http://www.w3.org/1999/xhtml",
}


@pytest.fixture
def catalogue(session, store):
    """Public items with tags and regions, and a draft carrying its own tag."""
    made = {
        "alps-bayern": make(
            session, store, "press_release", tags=["alpine-energy"], regions=["bayern"]
        ),
        "alps-lombardia": make(
            session, store, "report", tags=["alpine-energy"], regions=["lombardia"]
        ),
        "plain": make(session, store, "press_release"),
    }
    make_item(
        session, slug="secret", status="draft", published_at=None,
        tags=["secret-topic"], regions=["hidden-valley"],
    )  # fmt: skip
    return made


def shown(client, url: str, catalogue) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    urls = set(cards(text(response)))
    return {name for name, item in catalogue.items() if page_url(item) in urls}


def test_a_topic_page_lists_what_is_on_that_topic(client, catalogue):
    assert shown(client, "/topics/alpine-energy/", catalogue) == {
        "alps-bayern",
        "alps-lombardia",
    }
    page = text(client.get("/topics/alpine-energy/"))
    assert "<h1>Alpine energy</h1>" in page


def test_a_region_page_lists_what_is_from_that_region(client, catalogue):
    assert shown(client, "/regions/bayern/", catalogue) == {"alps-bayern"}
    assert "<h1>Bavaria</h1>" in text(client.get("/regions/bayern/"))
    # the filter URLs keep working
    assert shown(client, "/?region=bayern", catalogue) == {"alps-bayern"}


def test_a_named_region_with_nothing_public_yet_has_an_empty_page(client, catalogue):
    response = client.get("/regions/slovenija/")
    assert response.status_code == 200
    assert "Nothing published here yet." in text(response)


@pytest.mark.parametrize(
    "url",
    ["/topics/no-such-topic/", "/topics/secret-topic/", "/regions/hidden-valley/"],
)
def test_an_unknown_topic_or_region_is_not_found(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "no public item" in text(response)


def test_the_pages_name_their_canonical_url_hreflang_and_feeds(client, catalogue):
    topic = text(client.get("/topics/alpine-energy/"))
    assert f'<link rel="canonical" href="{SITE}/topics/alpine-energy/">' in topic
    assert f'href="{SITE}/tags/alpine-energy/feed.xml"' in topic
    page = text(client.get("/regions/bayern/?lang=de&kind=report"))
    assert f'<link rel="canonical" href="{SITE}/regions/bayern/?lang=de">' in page
    assert (
        f'<link rel="alternate" hreflang="x-default" href="{SITE}/regions/bayern/">'
        in page
    )
    assert f'hreflang="sl" href="{SITE}/regions/bayern/?lang=sl"' in page
    assert f'href="{SITE}/regions/bayern/feed.xml?lang=de"' in page


def test_cards_link_their_chips_to_the_topic_and_region_pages(client, catalogue):
    page = text(client.get("/"))
    assert 'href="/topics/alpine-energy/"' in page
    assert 'href="/regions/bayern/"' in page


def test_the_sitemap_lists_every_named_region_and_topic_in_use(
    client, session, catalogue
):
    # a topic and region only an unlisted video (upcoming) carries: not listed;
    # one a draft shares with a public item: listed once
    make_item(
        session, kind="video", video_type="upcoming", slug="soon",
        tags=["coming-topic"], regions=["coming-valley"],
    )  # fmt: skip
    make_item(
        session, slug="draft-too", status="draft", published_at=None,
        tags=["alpine-energy"], regions=["bayern"],
    )  # fmt: skip
    root = ET.fromstring(client.get("/sitemap.xml").data)
    locs = {
        url.findtext("s:loc", namespaces=NS) or "" for url in root.findall("s:url", NS)
    }
    paths = {urlsplit(loc).path for loc in locs}
    assert {p for p in paths if p.startswith(("/topics/", "/regions/"))} == {
        "/topics/alpine-energy/",
        "/regions/bayern/",
        "/regions/lombardia/",
        "/regions/slovenija/",
    }
    assert f"{SITE}/regions/bayern/?lang=de" in locs


@pytest.fixture
def content_dir(content_dir):
    """The test site.yml with Bavaria named per language."""
    path = content_dir / "site.yml"
    path.write_text(
        path.read_text().replace(
            "bayern: Bayern", "bayern: {en: Bavaria, de: Bayern, it: Baviera}"
        )
    )
    return content_dir


def test_a_region_is_named_in_the_visitors_language(client, catalogue):
    assert "<h1>Bayern</h1>" in text(client.get("/regions/bayern/?lang=de"))
    assert "<h1>Baviera</h1>" in text(client.get("/regions/bayern/?lang=it"))
    # a language site.yml does not name it in: the default language's name
    assert "<h1>Bavaria</h1>" in text(client.get("/regions/bayern/?lang=fr"))
    card = text(client.get("/?lang=de"))
    assert '<a class="chip-region" href="/regions/bayern/">Bayern</a>' in card


@pytest.mark.parametrize(
    ("regions", "problem"),
    [
        ("{bayern: {de: Bayern}}", "must name it in 'en'"),
        ("{bayern: {en: Bavaria, xx: Bayern}}", "'xx' is not one of"),
        ("{bayern: {en: ''}}", "must be a name on one line"),
        ("{bayern: [Bavaria]}", "must be a name or a mapping"),
        ("[bayern]", "must be a mapping"),
    ],
)
def test_site_yml_refuses_a_bad_region_name(tmp_path, regions, problem):
    (tmp_path / "site.yml").write_text(
        f"default_language: en\nlanguages: [en, de]\nregions: {regions}\n"
    )
    with pytest.raises(ConfigMissing, match=problem):
        load_site(tmp_path)
