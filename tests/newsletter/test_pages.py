"""The archive, the web version of an issue and the feed of issues."""

from __future__ import annotations

import feedparser

from tests.factories import future, make_item
from tests.newsletter.helpers import make_issue


def _issues(session):
    make_item(session, slug="first-results", title="First results")
    make_item(session, slug="erste-ergebnisse", language="de", title="Erste Ergebnisse")
    make_issue(session, items=[("press_release", "first-results")])
    make_issue(
        session,
        language="de",
        title="Ausgabe 1",
        translation="issue-1",
        items=[("press_release", "erste-ergebnisse")],
    )
    make_issue(session, slug="draft", title="Draft issue", status="draft")
    make_issue(session, slug="later", title="Later issue", published_at=future(3))


def test_archive_lists_published_issues_only(client, session):
    _issues(session)
    page = client.get("/newsletter/")
    assert page.status_code == 200
    assert "Issue 1: first results" in page.text
    assert "Draft issue" not in page.text and "Later issue" not in page.text
    german = client.get("/newsletter/", headers={"Accept-Language": "de"})
    assert "Ausgabe 1" in german.text and "Issue 1: first results" not in german.text


def test_a_scheduled_issue_enters_the_cached_archive_at_its_time(client, session):
    from freezegun import freeze_time

    _issues(session)
    assert "Later issue" not in client.get("/newsletter/").text  # now cached
    with freeze_time(future(4)):
        assert "Later issue" in client.get("/newsletter/").text
        assert client.get("/newsletter/later/").status_code == 200


def test_web_version_is_in_the_visitors_language_where_one_exists(client, session):
    _issues(session)
    english = client.get("/newsletter/issue-1/")
    assert english.status_code == 200
    assert "Welcome to the first issue." in english.text
    assert 'href="/press-releases/first-results/?lang=en"' in english.text
    french = client.get("/newsletter/issue-1/", headers={"Accept-Language": "fr"})
    assert "Issue 1: first results" in french.text
    for german in (
        client.get("/newsletter/issue-1/", headers={"Accept-Language": "de-AT,de"}),
        client.get("/newsletter/issue-1/?lang=de"),
    ):
        assert "<h1>Ausgabe 1</h1>" in german.text
        assert "Erste Ergebnisse" in german.text


def test_unknown_draft_or_scheduled_issue_is_not_found(client, session):
    _issues(session)
    for slug in ("nope", "draft", "later"):
        assert client.get(f"/newsletter/{slug}/").status_code == 404


def test_feed_of_issues_parses_and_links_absolutely(client, session):
    _issues(session)
    answer = client.get("/newsletter/feed.xml")
    assert answer.status_code == 200
    assert answer.mimetype == "application/rss+xml"
    feed = feedparser.parse(answer.data)
    assert not feed.bozo
    assert [e.title for e in feed.entries] == ["Issue 1: first results"]
    assert (
        feed.entries[0].link == "https://news.example.org/newsletter/issue-1/?lang=en"
    )
