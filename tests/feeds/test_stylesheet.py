"""A feed opened in a browser shows as a page: its XSLT stylesheet, same origin."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from tests.factories import make_item
from tests.feeds.helpers import fetch, strict_xml

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,*/*;q=0.8"
)
_PI = re.compile(rb'<\?xml-stylesheet type="text/xsl" href="(/[^"]+\.xsl)"\?>')


@pytest.mark.parametrize("url", ["/feed.xml", "/feed.atom", "/reports/feed.xml"])
def test_rss_and_atom_name_the_stylesheet_which_is_served_as_xslt(client, url):
    body = fetch(client, url)
    match = _PI.search(body[:200])  # in the prolog, before the root element
    assert match is not None, body[:200]
    assert body.index(b"<?xml-stylesheet") < body.index(
        b"<rss" if "xml" in url else b"<feed"
    )
    strict_xml(body)  # still well formed
    with client.get(match.group(1).decode()) as xsl:
        assert xsl.status_code == 200
        assert xsl.mimetype == "application/xslt+xml"
        etree.XSLT(etree.fromstring(xsl.data))  # a valid stylesheet


def test_the_json_feed_has_no_stylesheet(client):
    assert b"xml-stylesheet" not in fetch(client, "/feed.json")


@pytest.mark.parametrize("fmt, own", [("xml", "rss"), ("atom", "atom")])
def test_a_browser_gets_xml_it_renders_a_reader_gets_the_feed_type(client, fmt, own):
    reader = client.get(f"/feed.{fmt}")
    assert reader.mimetype == f"application/{own}+xml"
    assert "Accept" in reader.headers["Vary"]
    browser = client.get(f"/feed.{fmt}", headers={"Accept": BROWSER_ACCEPT})
    assert browser.mimetype == "application/xml"
    assert "Accept" in browser.headers["Vary"]
    assert browser.data == reader.data
    anything = client.get(f"/feed.{fmt}", headers={"Accept": "*/*"})
    assert anything.mimetype == f"application/{own}+xml"


def test_the_stylesheet_turns_a_feed_into_a_page_listing_its_items(client, session):
    make_item(session, slug="alpha", title="Alpha news", summary="About alpha")
    href = _PI.search(fetch(client, "/feed.atom")).group(1).decode()
    with client.get(href) as xsl:
        transform = etree.XSLT(etree.fromstring(xsl.data))
    for url in ("/feed.xml", "/feed.atom"):
        page = str(transform(etree.fromstring(fetch(client, url))))
        assert "<h1>Test Project</h1>" in page
        assert ">Alpha news</a>" in page
        assert 'href="http://127.0.0.1:5000/press-releases/alpha/"' in page
        assert "About alpha" in page
        assert 'href="/static/site.' in page  # own origin, no inline style
        # the EU acknowledgement heads the page, as on every page of the site
        assert "<span>Co-funded by the European Union</span>" in page


def test_a_feed_page_acknowledges_the_eu_in_the_feeds_language(client, session):
    make_item(session, slug="alpha", language="de", title="Alpha", summary="Über")
    href = _PI.search(fetch(client, "/feed.atom?lang=de")).group(1).decode()
    with client.get(href) as xsl:
        transform = etree.XSLT(etree.fromstring(xsl.data))
    for url in ("/feed.xml?lang=de", "/feed.atom?lang=de"):
        page = str(transform(etree.fromstring(fetch(client, url))))
        assert "<span>Kofinanziert von der Europäischen Union</span>" in page, url
        assert "Co-funded" not in page
