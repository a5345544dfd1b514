"""Every HTML page links its feeds; every listing shows one Follow block."""

from __future__ import annotations

import re
from html import unescape

from tests.factories import make_item
from tests.feeds.helpers import SITE

_ALTERNATE = re.compile(
    r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)"'
)
_FOLLOW = re.compile(r'<nav class="follow".*?</nav>', re.S)
_FOLLOW_LINK = re.compile(r'<a href="([^"]+)"(?: type="([^"]+)")?[^>]*>([^<]+)</a>')


def _follow(html: str) -> list[tuple[str, str, str]]:
    """The Follow block's links: (label, href, type)."""
    blocks = _FOLLOW.findall(html)
    assert len(blocks) == 1, "one Follow block"
    return [(label, unescape(h), t) for h, t, label in _FOLLOW_LINK.findall(blocks[0])]


def _feeds(html: str) -> list[tuple[str, str]]:
    return [(t, unescape(h)) for t, h in _ALTERNATE.findall(html)]


def test_news_page_links_the_site_feeds_and_shows_subscribe(client, session):
    make_item(session)
    html = client.get("/").get_data(as_text=True)
    assert _feeds(html) == [
        ("application/rss+xml", f"{SITE}/feed.xml"),
        ("application/atom+xml", f"{SITE}/feed.atom"),
        ("application/feed+json", f"{SITE}/feed.json"),
    ]
    assert _follow(html)[0] == ("RSS", f"{SITE}/feed.xml", "application/rss+xml")
    # no raw feed address in code font (it made filtered listings scroll sideways)
    assert "<code>" not in html


def test_listing_links_its_kind_feed_first(client, session):
    make_item(session, kind="report")
    html = client.get("/reports/").get_data(as_text=True)
    hrefs = [href for _, href in _feeds(html)]
    assert hrefs[:3] == [
        f"{SITE}/reports/feed.{fmt}" for fmt in ("xml", "atom", "json")
    ]
    assert f"{SITE}/feed.xml" in hrefs
    assert _follow(html)[0][1] == f"{SITE}/reports/feed.xml"


def test_filtered_listing_links_tag_and_region_feeds(client, session):
    make_item(session, tags=["clusters"], regions=["lombardia"])
    html = client.get("/?tag=clusters&region=lombardia&lang=de").get_data(as_text=True)
    hrefs = [href for _, href in _feeds(html)]
    assert hrefs[0] == f"{SITE}/tags/clusters/feed.xml?lang=de"
    assert f"{SITE}/regions/lombardia/feed.atom?lang=de" in hrefs
    assert _follow(html) == [
        ("RSS", f"{SITE}/tags/clusters/feed.xml?lang=de", "application/rss+xml"),
        ("Atom", f"{SITE}/tags/clusters/feed.atom?lang=de", "application/atom+xml"),
        (
            "JSON Feed",
            f"{SITE}/tags/clusters/feed.json?lang=de",
            "application/feed+json",
        ),
        ("Newsletter", "/newsletter/subscribe?lang=de", ""),
        (
            "Veranstaltungskalender (iCal)",
            "/events/calendar.ics?lang=de",
            "text/calendar",
        ),
    ]
    assert "<code>" not in html


def test_events_listing_offers_the_calendar(client, session):
    html = client.get("/events/").get_data(as_text=True)
    assert 'href="/events/calendar.ics"' in html


def test_item_page_and_error_page_link_feeds(client, session):
    item = make_item(session, kind="video", slug="film")
    html = client.get(f"/videos/{item.slug}/").get_data(as_text=True)
    assert (
        "application/rss+xml",
        f"{SITE}/videos/feed.xml",
    ) in _feeds(html)
    missing = client.get("/no-such-page").get_data(as_text=True)
    assert ("application/atom+xml", f"{SITE}/feed.atom") in _feeds(missing)
    bad_lang = client.get("/?lang=xx").get_data(as_text=True)
    assert ("application/atom+xml", f"{SITE}/feed.atom") in _feeds(bad_lang)


def test_every_linked_feed_answers(client, session):
    make_item(session, kind="report", tags=["clusters"], regions=["lombardia"])
    html = client.get("/reports/?tag=clusters").get_data(as_text=True)
    for _, href in _feeds(html):
        assert client.get(href.removeprefix(SITE)).status_code == 200, href
