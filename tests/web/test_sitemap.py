"""/sitemap.xml: exactly the published items, with lastmod and alternates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from tests.factories import future, make_item, past

NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "x": "http://www.w3.org/1999/xhtml",
}


def _urls(client) -> dict[str, ET.Element]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    return {
        urlsplit(url.findtext("s:loc", namespaces=NS) or "").path: url
        for url in root.findall("s:url", NS)
    }


def test_sitemap_lists_published_items_only(client, session):
    make_item(session, slug="live", published_at=past(2))
    make_item(session, kind="report", slug="live-report", published_at=past(3))
    make_item(session, slug="draft", status="draft", published_at=None)
    make_item(session, slug="later", published_at=future(2))
    items = {path for path in _urls(client) if path.count("/") == 3}
    assert items == {"/press-releases/live/", "/reports/live-report/"}


def test_sitemap_entries_carry_lastmod_and_hreflang_alternates(client, session):
    make_item(session, slug="first-results", language="en", translation="fr1")
    make_item(session, slug="erste-ergebnisse", language="de", translation="fr1")
    urls = _urls(client)
    entry = urls["/press-releases/first-results/"]
    assert (entry.findtext("s:lastmod", namespaces=NS) or "").endswith("Z")
    alternates = {
        link.get("hreflang"): urlsplit(link.get("href") or "").path
        for link in entry.findall("x:link", NS)
    }
    assert alternates == {
        "en": "/press-releases/first-results/",
        "de": "/press-releases/erste-ergebnisse/",
    }
    assert "/press-releases/erste-ergebnisse/" in urls
