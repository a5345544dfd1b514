"""Language versions: which version the news page and item pages show, and links."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.factories import future, make_item, past
from tests.web.helpers import cards, resolved, text

EN = "/press-releases/first-results/"
DE = "/press-releases/erste-ergebnisse/"
SITE = "http://127.0.0.1:5000"


@pytest.fixture
def first_results(session):
    """One press release in English and German, sharing a translation group."""
    english = make_item(
        session,
        slug="first-results",
        language="en",
        translation="first-results",
        title="First results",
    )
    german = make_item(
        session,
        slug="erste-ergebnisse",
        language="de",
        translation="first-results",
        title="Erste Ergebnisse",
    )
    return english, german


@pytest.mark.parametrize(
    ("query", "headers", "expected"),
    [
        pytest.param("", {}, EN, id="default-english"),
        pytest.param("?lang=en", {}, EN, id="lang-en"),
        pytest.param("?lang=de", {}, DE, id="lang-de"),
        pytest.param("", {"Accept-Language": "de"}, DE, id="accept-de"),
        pytest.param("", {"Accept-Language": "de-AT,de;q=0.9"}, DE, id="accept-de-AT"),
        pytest.param(
            "", {"Accept-Language": "fr,de;q=0.5"}, DE, id="accept-fr-then-de"
        ),
        pytest.param("", {"Accept-Language": "it"}, EN, id="accept-it-falls-back"),
        pytest.param("?lang=en", {"Accept-Language": "de"}, EN, id="lang-beats-accept"),
        pytest.param("?lang=sl", {}, EN, id="lang-sl-falls-back"),
    ],
)
def test_news_page_shows_one_language_version_of_a_translated_item(
    client, first_results, query, headers, expected
):
    response = client.get(f"/{query}", headers=headers)
    assert response.status_code == 200
    assert cards(text(response)) == [expected]


@pytest.mark.parametrize("query", ["", "?lang=de"])
def test_listing_shows_one_language_version_too(client, first_results, query):
    expected = DE if query else EN
    assert cards(text(client.get(f"/press-releases/{query}"))) == [expected]


def test_news_page_in_german_marks_the_page_language(app, first_results):
    assert '<html lang="de">' in text(app.test_client().get("/?lang=de"))
    assert '<html lang="en">' in text(app.test_client().get("/"))


def test_chosen_language_is_remembered_on_the_next_page(app, first_results):
    visitor = app.test_client()
    visitor.get("/?lang=de")
    assert cards(text(visitor.get("/"))) == [DE]
    assert cards(text(app.test_client().get("/"))) == [EN]  # another visitor


def test_unoffered_language_is_not_remembered(client, first_results):
    assert client.get("/?lang=xx").status_code == 400
    assert cards(text(client.get("/"))) == [EN]


@pytest.mark.parametrize("query", ["?lang=de", "?lang=fr"])
def test_item_only_in_english_still_shows_on_other_language_news_page(
    client, session, query
):
    make_item(session, slug="english-only", language="en")
    assert "/press-releases/english-only/" in cards(text(client.get(f"/{query}")))


def test_item_only_in_german_shows_on_english_news_page(client, session):
    make_item(session, slug="nur-deutsch", language="de")
    assert cards(text(client.get("/"))) == ["/press-releases/nur-deutsch/"]


@pytest.mark.parametrize(
    ("url", "title", "other_lang", "other_url"),
    [
        (EN, "First results", "de", f"{DE}?lang=de"),
        (DE, "Erste Ergebnisse", "en", f"{EN}?lang=en"),
    ],
)
def test_item_page_links_its_other_language_version(
    client, first_results, url, title, other_lang, other_url
):
    response = client.get(url)
    assert response.status_code == 200
    body = text(response)
    assert f"<h1>{title}</h1>" in body
    assert f'<a href="{other_url}" hreflang="{other_lang}"' in body
    # hreflang links are absolute; the default language's is the bare URL (issue 18)
    absolute = SITE + (other_url.split("?")[0] if other_lang == "en" else other_url)
    link = f'<link rel="alternate" hreflang="{other_lang}" href="{absolute}">'
    assert link in body


def test_item_page_with_lang_of_other_version_redirects_to_it(client, first_results):
    response = client.get(f"{EN}?lang=de")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{DE}?lang=de")
    followed = client.get(f"{EN}?lang=de", follow_redirects=True)
    assert followed.status_code == 200
    assert "<h1>Erste Ergebnisse</h1>" in text(followed)


@pytest.mark.parametrize(("url", "query"), [(EN, "?lang=en"), (DE, "?lang=de")])
def test_item_page_with_its_own_lang_does_not_redirect(
    client, first_results, url, query
):
    assert client.get(f"{url}{query}").status_code == 200


def test_item_page_with_lang_lacking_a_version_shows_the_item(client, first_results):
    response = client.get(f"{EN}?lang=fr")
    assert response.status_code == 200
    assert "<h1>First results</h1>" in text(response)


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"status": "draft"}, id="draft"),
        pytest.param({"published_at": lambda: future(1)}, id="scheduled"),
    ],
)
def test_unpublished_translation_is_neither_shown_nor_linked_nor_redirected_to(
    client, session, state
):
    make_item(session, slug="first-results", language="en", translation="tr")
    make_item(
        session,
        slug="erste-ergebnisse",
        language="de",
        translation="tr",
        **resolved(state),
    )
    assert cards(text(client.get("/?lang=de"))) == [EN]
    page = text(client.get(EN))
    assert "erste-ergebnisse" not in page
    assert 'hreflang="de" href' not in page
    response = client.get(f"{EN}?lang=de")
    assert response.status_code == 200
    assert client.get(DE).status_code == 404


def test_archived_translation_leaves_listings_for_the_other_version(client, session):
    make_item(session, slug="first-results", language="en", translation="tr")
    make_item(
        session,
        slug="erste-ergebnisse",
        language="de",
        translation="tr",
        status="archived",
    )
    assert cards(text(client.get("/?lang=de"))) == [EN]
    assert client.get(DE).status_code == 200  # its page stays reachable


def test_same_slug_in_two_languages_picks_version_by_accept_language(client, session):
    make_item(session, kind="event", slug="agenda", language="en", title="Agenda")
    make_item(session, kind="event", slug="agenda", language="de", title="Tagesordnung")
    assert "<h1>Agenda</h1>" in text(client.get("/events/agenda/"))
    german = client.get("/events/agenda/", headers={"Accept-Language": "de"})
    assert "<h1>Tagesordnung</h1>" in text(german)
    assert "<h1>Tagesordnung</h1>" in text(client.get("/events/agenda/?lang=de"))


def test_translations_of_different_kinds_are_not_merged(client, session):
    make_item(session, kind="press_release", slug="a", language="en", translation="x")
    make_item(session, kind="report", slug="b", language="de", translation="x")
    shown = cards(text(client.get("/?lang=en")))
    assert sorted(shown) == ["/press-releases/a/", "/reports/b/"]


def test_newer_translation_does_not_reorder_the_chosen_version(client, session):
    make_item(session, slug="old-en", language="en", translation="old",
              published_at=past(10))  # fmt: skip
    make_item(session, slug="old-de", language="de", translation="old",
              published_at=past(1))  # fmt: skip
    make_item(session, slug="middle", language="en", published_at=past(5))
    assert cards(text(client.get("/"))) == [
        "/press-releases/middle/",
        "/press-releases/old-en/",
    ]


def test_language_dependent_pages_tell_shared_caches_they_vary_by_language(
    client, first_results
):
    for url in ("/", "/press-releases/", EN):
        response = client.get(url, headers={"Accept-Language": "de"})
        if "public" not in response.headers.get("Cache-Control", ""):
            continue
        vary = {v.strip().lower() for v in response.headers.get("Vary", "").split(",")}
        assert {"accept-language", "cookie"} <= vary, url


def test_translation_coming_due_is_linked_from_an_already_viewed_page(client, session):
    make_item(session, slug="first-results", language="en", translation="tr")
    make_item(
        session,
        slug="erste-ergebnisse",
        language="de",
        translation="tr",
        status="archived",
        published_at=future(1),
    )
    assert "erste-ergebnisse" not in text(client.get(EN))
    with freeze_time(future(2)):
        assert client.get(DE).status_code == 200
        assert f'href="{DE}?lang=de"' in text(client.get(EN))
