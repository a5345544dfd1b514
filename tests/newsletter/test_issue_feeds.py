"""The newsletter's feeds (RSS, Atom, JSON) and the validators of its pages."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest

from tests.factories import make_item
from tests.feeds.helpers import ATOM, parse_json_feed, parse_xml_feed, strict_xml
from tests.newsletter.helpers import make_issue

SITE = "https://news.example.org"
FIRST = datetime(2024, 3, 1, 8, tzinfo=UTC)
SECOND = datetime(2024, 5, 2, 9, tzinfo=UTC)


def _issues(session) -> None:  # type: ignore[no-untyped-def]
    make_issue(session, published_at=FIRST)
    make_issue(session, slug="ausgabe-1", language="de", title="Ausgabe 1",
               translation="issue-1", published_at=FIRST)  # fmt: skip
    make_issue(session, slug="issue-2", title="Issue 2", published_at=SECOND)


def test_rss_names_itself_and_dates_itself_by_its_newest_issue(client, session):
    _issues(session)
    first = client.get("/newsletter/feed.xml")
    time.sleep(1.1)
    again = client.get("/newsletter/feed.xml")
    assert first.data == again.data
    channel = strict_xml(first.data).find("channel")
    self_link = channel.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == f"{SITE}/newsletter/feed.xml"
    built = parsedate_to_datetime(channel.findtext("lastBuildDate"))
    assert built == SECOND
    assert channel.findtext("language") == "en"


@pytest.mark.parametrize("fmt", ["xml", "atom", "json"])
def test_each_format_follows_lang_and_never_accept_language(client, session, fmt):
    _issues(session)
    german = client.get(f"/newsletter/feed.{fmt}?lang=de")
    browser = client.get(f"/newsletter/feed.{fmt}", headers={"Accept-Language": "de"})
    assert "Accept-Language" not in german.headers.get("Vary", "")
    assert "Accept-Language" not in browser.headers.get("Vary", "")
    if fmt == "json":
        doc = parse_json_feed(german.data)
        assert doc["language"] == "de"
        assert doc["feed_url"] == f"{SITE}/newsletter/feed.json?lang=de"
        titles = [i["title"] for i in doc["items"]]
        assert json.loads(browser.data)["language"] == "en"
    else:
        parsed = parse_xml_feed(german.data)
        assert parsed.feed.language == "de"
        titles = [e.title for e in parsed.entries]
        assert parse_xml_feed(browser.data).feed.language == "en"
    assert titles == ["Issue 2", "Ausgabe 1"]


@pytest.mark.parametrize("fmt", ["xml", "atom", "json"])
def test_feeds_answer_304_to_their_validators(client, session, fmt):
    _issues(session)
    answer = client.get(f"/newsletter/feed.{fmt}")
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    etag, modified = answer.headers["ETag"], answer.headers["Last-Modified"]
    again = client.get(f"/newsletter/feed.{fmt}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get(
        f"/newsletter/feed.{fmt}", headers={"If-Modified-Since": modified}
    )
    assert since.status_code == 304


@pytest.mark.parametrize(
    "url", ["/newsletter/", "/newsletter/issue-1/", "/reports/annual/cite.bib"]
)
def test_newsletter_pages_and_citations_answer_304_to_their_validators(
    client, session, url
):
    _issues(session)
    make_item(session, kind="report", slug="annual", title="Annual report")
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer.headers["ETag"] and answer.headers["Last-Modified"]
    assert "Accept-Language" in answer.headers["Vary"]
    again = client.get(url, headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_the_archive_links_every_format_of_the_issue_feed(client, session):
    _issues(session)
    page = client.get("/newsletter/").text
    for fmt, media_type in [
        ("xml", "application/rss+xml"),
        ("atom", "application/atom+xml"),
        ("json", "application/feed+json"),
    ]:
        assert (
            f'<link rel="alternate" type="{media_type}"' in page
            and f'href="/newsletter/feed.{fmt}"' in page
        )
        assert client.get(f"/newsletter/feed.{fmt}").status_code == 200


def test_a_new_issue_changes_the_feed_and_its_etag(client, session):
    _issues(session)
    before = client.get("/newsletter/feed.atom")
    make_issue(session, slug="issue-3", title="Issue 3",
               published_at=datetime(2024, 7, 1, tzinfo=UTC))  # fmt: skip
    after = client.get("/newsletter/feed.atom")
    assert after.headers["ETag"] != before.headers["ETag"]
    root = strict_xml(after.data)
    assert root.findtext(f"{ATOM}updated").startswith("2024-07-01T00:00:00")
