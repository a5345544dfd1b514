"""Entry ids never change on edits; only public, due items ever reach a feed."""

from __future__ import annotations

from freezegun import freeze_time

from comms.catalogue.models import Item
from comms.feeds.build import entry_id
from tests.factories import future, make_item, past
from tests.feeds.helpers import FORMATS, entry_ids, entry_titles


def test_entry_id_survives_title_and_slug_edits_in_every_format(client, session):
    item = make_item(session, slug="first-results", title="First results")
    before = {fmt: entry_ids(client, f"/feed.{fmt}") for fmt in FORMATS}
    assert before["xml"] == before["atom"] == before["json"]
    assert before["xml"][0].startswith("tag:127.0.0.1,")
    item.title = "First results of the project (corrected)"
    session.commit()
    assert entry_titles(client, "/feed.atom") == [item.title]
    item.slug = "first-results-2018"
    session.commit()
    after = {fmt: entry_ids(client, f"/feed.{fmt}") for fmt in FORMATS}
    assert after == before


def test_entry_id_is_the_same_for_a_reimported_copy_of_an_item():
    published = past(10)
    common = {
        "kind": "report",
        "translation": "stresstest-lombardia",
        "language": "en",
        "published_at": published,
    }
    original = Item(slug="stresstest-lombardia", title="StressTest", **common)
    reimported = Item(slug="stresstest-lombardia-2", title="Renamed", **common)
    site = "https://news.example.org"
    assert entry_id(original, site) == entry_id(reimported, site)
    assert entry_id(original, site) == (
        f"tag:news.example.org,{published.date().isoformat()}"
        ":report/stresstest-lombardia/en"
    )


def test_language_versions_get_distinct_ids(client, session):
    make_item(session, slug="first-results", translation="first", language="en")
    make_item(session, slug="erste-ergebnisse", translation="first", language="de")
    english = entry_ids(client, "/feed.xml")
    german = entry_ids(client, "/feed.xml?lang=de")
    assert len(english) == len(german) == 1
    assert english != german


def test_drafts_and_archived_items_never_appear(client, session):
    make_item(session, title="Public")
    make_item(session, title="Draft", status="draft")
    make_item(session, title="Archived", status="archived")
    make_item(session, kind="video", title="Hidden video", hidden=True)
    make_item(session, kind="video", title="Deleted video", availability="deleted")
    for fmt in FORMATS:
        assert entry_titles(client, f"/feed.{fmt}") == ["Public"]


def test_scheduled_item_enters_the_cached_feed_at_its_time(client, session):
    make_item(session, title="Already out", published_at=past(2))
    make_item(session, title="Embargoed", published_at=future(1))
    for fmt in FORMATS:
        assert entry_titles(client, f"/feed.{fmt}") == ["Already out"]
    assert entry_titles(client, "/press-releases/feed.xml") == ["Already out"]
    with freeze_time(future(2)):
        for fmt in FORMATS:
            assert entry_titles(client, f"/feed.{fmt}") == ["Embargoed", "Already out"]
        assert entry_titles(client, "/press-releases/feed.xml") == [
            "Embargoed",
            "Already out",
        ]


def test_publishing_a_draft_changes_the_cached_feed_at_once(client, session):
    draft = make_item(session, title="Draft", status="draft")
    assert entry_titles(client, "/feed.xml") == []
    first_etag = client.get("/feed.xml").headers["ETag"]
    draft.status = "published"
    session.commit()
    assert entry_titles(client, "/feed.xml") == ["Draft"]
    assert client.get("/feed.xml").headers["ETag"] != first_etag
