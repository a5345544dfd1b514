"""An item shown in another language than the visitor's says so, in theirs."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_item
from tests.web.helpers import text

NOTICE = re.compile(
    r'<p class="notice notice-language" role="note" lang="(\w+)">(.*?)</p>'
)


def _notice(html: str) -> tuple[str, str] | None:
    found = NOTICE.search(html)
    return (found[1], found[2]) if found else None


@pytest.fixture
def english_only(session):
    return make_item(session, slug="first-results", title="First results")


@pytest.mark.parametrize(
    ("lang", "notice"),
    [
        (
            "de",
            "Dieser Beitrag ist nicht auf Deutsch verfügbar; "
            "er wird auf Englisch angezeigt.",
        ),
        (
            "fr",
            "Ce contenu n'est pas disponible en français ; il est affiché en anglais.",
        ),
        (
            "it",
            "Questo contenuto non è disponibile in italiano; "
            "viene mostrato in inglese.",
        ),
        ("sl", "Ta vsebina ni na voljo v slovenščini; prikazana je v angleščini."),
    ],
)
def test_an_english_only_item_says_so_in_the_visitors_language(
    client, english_only, lang, notice
):
    for headers, url in (
        ({}, f"/press-releases/first-results/?lang={lang}"),
        ({"Accept-Language": lang}, "/press-releases/first-results/"),
    ):
        html = text(client.get(url, headers=headers))
        assert f'<html lang="{lang}">' in html
        assert _notice(html) == (lang, notice), url
        # the item itself is marked as English
        assert re.search(r'<article class="item[^"]*" lang="en">', html)


def test_no_notice_where_the_visitors_language_has_a_version(client, session):
    make_item(session, slug="first-results", translation="results")
    make_item(session, slug="erste-ergebnisse", language="de", translation="results")
    html = text(client.get("/press-releases/erste-ergebnisse/?lang=de"))
    assert re.search(r'<article class="item[^"]*" lang="de">', html)
    assert _notice(html) is None
    # the English version asked for by a German reader is redirected to theirs
    response = client.get("/press-releases/first-results/?lang=de")
    assert response.status_code == 302
    followed = text(
        client.get("/press-releases/first-results/", headers={"Accept-Language": "de"})
    )
    assert _notice(followed) is None


def test_no_notice_in_the_items_own_language(client, english_only):
    assert _notice(text(client.get("/press-releases/first-results/"))) is None


def test_an_english_reader_is_told_of_a_german_only_item(client, session):
    make_item(session, slug="nur-deutsch", language="de", title="Nur auf Deutsch")
    html = text(client.get("/press-releases/nur-deutsch/?lang=en"))
    assert _notice(html) == (
        "en",
        "This item is not available in English; it is shown in German.",
    )
    assert re.search(r'<article class="item[^"]*" lang="de">', html)


def test_listing_cards_mark_the_language_of_a_fallback(client, english_only):
    html = text(client.get("/?lang=de"))
    assert '<html lang="de">' in html
    card = re.search(
        r'<article class="card[^"]*" lang="(\w+)">\s*.*?First results', html, re.S
    )
    assert card is not None and card[1] == "en"
