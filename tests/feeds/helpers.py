"""Helpers for the feed tests: fetching and parsing every feed format."""

from __future__ import annotations

import json
from typing import Any

import feedparser
from lxml import etree

FORMATS = ["xml", "atom", "json"]
SITE = "http://127.0.0.1:5000"
ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA_TYPES = {
    "xml": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


def fetch(client: Any, url: str, status: int = 200) -> bytes:
    """GET ``url`` and check its status; return the body."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    body: bytes = response.data
    return body


def strict_xml(body: bytes) -> Any:
    """Parse ``body`` with a strict XML parser (no recovery): it must be well formed."""
    return etree.fromstring(body, parser=etree.XMLParser(recover=False))


def parse_xml_feed(body: bytes) -> Any:
    """Parse RSS or Atom with feedparser; fail on any bozo (ill-formed) document."""
    strict_xml(body)
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def parse_json_feed(body: bytes) -> dict[str, Any]:
    """Parse a JSON Feed and check the fields the 1.1 specification requires."""
    doc: dict[str, Any] = json.loads(body)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str) and doc["title"]
    assert isinstance(doc["items"], list)
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
        for date in ("date_published", "date_modified"):
            if date in item:
                assert item[date].endswith("Z")
        for attachment in item.get("attachments", []):
            assert attachment["url"] and attachment["mime_type"]
    return doc


def entry_ids(client: Any, url: str) -> list[str]:
    """The ids of a feed's entries, in any format."""
    body = fetch(client, url)
    if url.split("?")[0].endswith(".json"):
        return [item["id"] for item in parse_json_feed(body)["items"]]
    return [entry.id for entry in parse_xml_feed(body).entries]


def entry_titles(client: Any, url: str) -> list[str]:
    """The titles of a feed's entries, in any format."""
    body = fetch(client, url)
    if url.split("?")[0].endswith(".json"):
        return [item["title"] for item in parse_json_feed(body)["items"]]
    return [entry.title for entry in parse_xml_feed(body).entries]
