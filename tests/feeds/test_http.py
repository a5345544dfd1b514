"""HTTP behaviour of feeds: caching headers, 304s, HEAD, paging, 404 and 400."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from comms import create_app
from tests.factories import make_item, past
from tests.feeds.helpers import (
    FORMATS,
    SITE,
    fetch,
    parse_json_feed,
    parse_xml_feed,
)

URLS = ["/feed.xml", "/feed.atom", "/feed.json", "/events/calendar.ics"]


@pytest.mark.parametrize("url", URLS)
def test_feed_has_etag_last_modified_and_cache_control(client, session, url):
    make_item(session, kind="event", starts_at=past(-3))
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('"')
    assert response.last_modified is not None
    assert response.cache_control.public
    assert response.cache_control.max_age == 60


@pytest.mark.parametrize("url", URLS)
def test_if_none_match_gives_304_with_an_empty_body(client, session, url):
    make_item(session, kind="event", starts_at=past(-3))
    etag = client.get(url).headers["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since_gives_304_until_the_feed_changes(client, session):
    make_item(session, title="One")
    last_modified = client.get("/feed.atom").headers["Last-Modified"]
    response = client.get("/feed.atom", headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    assert response.data == b""
    earlier = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    assert (
        client.get("/feed.atom", headers={"If-Modified-Since": earlier}).status_code
        == 200
    )


def test_etag_is_stable_while_nothing_changes_and_moves_on_a_publish(client, session):
    make_item(session, title="One")
    first = client.get("/feed.xml").headers["ETag"]
    assert client.get("/feed.xml").headers["ETag"] == first
    make_item(session, title="Two")
    second = client.get("/feed.xml")
    assert second.headers["ETag"] != first
    assert client.get("/feed.xml", headers={"If-None-Match": first}).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_head_answers_headers_without_a_body(client, session, fmt):
    make_item(session)
    get = client.get(f"/feed.{fmt}")
    head = client.head(f"/feed.{fmt}")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert int(head.headers["Content-Length"]) == len(get.data)


def test_cache_is_shared_by_every_app_on_the_same_instance_folder(app, settings):
    with app.extensions["comms"].sessionmaker() as session:
        make_item(session, title="Shared")
    first = app.test_client().get("/feed.xml")
    other_worker = create_app(settings)
    try:
        cache_root = settings.instance_path / "cache"
        # one page, and nothing else (no temporary file left behind)
        files = [p for p in cache_root.rglob("*") if p.is_file()]
        assert len(files) == 1
        # A second process serves the stored bytes: same ETag, no rebuild.
        files[0].write_bytes(files[0].read_bytes().replace(b"Shared", b"Stored"))
        second = other_worker.test_client().get("/feed.xml")
        assert second.headers["ETag"] == first.headers["ETag"]
        assert b"Stored" in second.data
        with other_worker.extensions["comms"].sessionmaker() as session:
            make_item(session, title="Newer")
        third = app.test_client().get("/feed.xml")
        assert b"Newer" in third.data and b"Stored" not in third.data
    finally:
        other_worker.extensions["comms"].engine.dispose()


def test_paged_history_links_older_pages_until_the_end(app, session, settings):
    from dataclasses import replace

    small = create_app(replace(settings, feed_size=2))
    client = small.test_client()
    try:
        for n in range(5):
            make_item(session, title=f"Item {n}", published_at=past(10 - n))
        for fmt in ("xml", "atom"):
            titles: list[str] = []
            url: str | None = f"{SITE}/feed.{fmt}"
            pages = 0
            while url:
                parsed = parse_xml_feed(fetch(client, url.removeprefix(SITE)))
                titles += [e.title for e in parsed.entries]
                rels = {link.rel: link.href for link in parsed.feed.links}
                assert rels["first"] == f"{SITE}/feed.{fmt}"
                if pages:
                    assert "previous" in rels
                url = rels.get("next")
                pages += 1
            assert pages == 3
            assert titles == [f"Item {n}" for n in range(4, -1, -1)]
        titles = []
        url = f"{SITE}/feed.json"
        while url:
            doc = parse_json_feed(fetch(client, url.removeprefix(SITE)))
            titles += [item["title"] for item in doc["items"]]
            url = doc.get("next_url")
        assert titles == [f"Item {n}" for n in range(4, -1, -1)]
        assert client.get("/feed.xml?page=4").status_code == 404
    finally:
        small.extensions["comms"].engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "/tags/no-such-topic/feed.xml",
        "/regions/atlantis/feed.atom",
        "/newsletters/feed.json",
        "/podcasts/feed.xml",
        "/feed.rss",
        "/events/no-such-event/event.ics",
    ],
)
def test_unknown_tag_region_kind_or_event_is_404(client, session, url):
    make_item(session, tags=["clusters"], regions=["lombardia"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/feed.xml?lang=xx",
        "/tags/clusters/feed.json?lang=EN-gb",
        "/feed.xml?page=0",
        "/feed.xml?page=abc",
        "/events/calendar.ics?lang=klingon",
    ],
)
def test_bad_lang_or_page_is_400_with_a_message(client, session, url):
    make_item(session, tags=["clusters"])
    response = client.get(url)
    assert response.status_code == 400
    assert b"is not offered" in response.data or b"whole number" in response.data


def test_known_region_without_items_gives_an_empty_feed(client):
    # The test site's site.yml names lombardia: a partner region is never a 404.
    assert parse_json_feed(fetch(client, "/regions/lombardia/feed.json"))["items"] == []
