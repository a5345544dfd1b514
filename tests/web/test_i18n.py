"""The interface in five languages: strings, locale negotiation, dates and numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from comms.i18n import format_number
from tests.factories import make_item
from tests.web.helpers import FUNDING, text

PUBLISHED = datetime(2025, 11, 27, 9, 30, tzinfo=UTC)

# What the news page says in each language: nav labels, the skip link, the EU
# acknowledgement (its official wording), the heading and a date in that locale.
NEWS_PAGE = {
    "en": [
        ">News</a>",
        ">Press releases</a>",
        ">Skip to content</a>",
        "Co-funded by the European Union",
        "<h1>Latest news</h1>",
        "27 November 2025",
    ],
    "de": [
        ">Aktuelles</a>",
        ">Pressemitteilungen</a>",
        ">Zum Inhalt springen</a>",
        "Kofinanziert von der Europäischen Union",
        "<h1>Aktuelle Nachrichten</h1>",
        "27. November 2025",
    ],
    "fr": [
        ">Actualités</a>",
        ">Communiqués de presse</a>",
        ">Aller au contenu</a>",
        "Cofinancé par l&#39;Union européenne",
        "<h1>Dernières actualités</h1>",
        "27 novembre 2025",
    ],
    "it": [
        ">Notizie</a>",
        ">Comunicati stampa</a>",
        ">Vai al contenuto</a>",
        "Cofinanziato dall&#39;Unione europea",
        "<h1>Ultime notizie</h1>",
        "27 novembre 2025",
    ],
    "sl": [
        ">Novice</a>",
        ">Sporočila za javnost</a>",
        ">Skoči na vsebino</a>",
        "Sofinancira Evropska unija",
        "<h1>Zadnje novice</h1>",
        "27. november 2025",
    ],
}
ENGLISH_ONLY = [s for s in NEWS_PAGE["en"] if s != ">News</a>"] + [
    ">Search</a>",
    ">Accessibility</a>",
    "More about the project",
]
ITEM_PAGE = {
    "de": ["Pressemitteilung", "Andere Sprachen", "Auch auf:", "Themen und Regionen"],
    "fr": ["Communiqué de presse", "Autres langues", "Aussi en", "Thèmes et régions"],
    "it": [
        "Comunicato stampa",
        "Altre lingue",
        "Disponibile anche in:",
        "Temi e regioni",
    ],
    "sl": ["Sporočilo za javnost", "Drugi jeziki", "Tudi v jeziku:", "Teme in regije"],
}


@pytest.fixture
def news(session):
    """One press release in English and German, with a topic."""
    make_item(
        session,
        slug="first-results",
        language="en",
        translation="first-results",
        title="First results",
        published_at=PUBLISHED,
        tags=["clusters"],
    )
    make_item(
        session,
        slug="erste-ergebnisse",
        language="de",
        translation="first-results",
        title="Erste Ergebnisse",
        published_at=PUBLISHED,
        tags=["clusters"],
    )


def _language_of(body: str) -> str:
    """The interface language a page was rendered in, told by its strings."""
    [found] = [
        lang
        for lang, strings in NEWS_PAGE.items()
        if all(s in body for s in strings[:3])
    ]
    assert f'<html lang="{found}">' in body
    return found


@pytest.mark.parametrize("lang", ["de", "fr", "it", "sl"])
def test_news_page_interface_is_in_the_chosen_language(client, news, lang):
    body = text(client.get(f"/?lang={lang}"))
    assert f'<html lang="{lang}">' in body
    for expected in NEWS_PAGE[lang]:
        assert expected in body, (lang, expected)
    for english in ENGLISH_ONLY:
        assert english not in body, (lang, english)


def test_news_page_interface_is_english_by_default(client, news):
    body = text(client.get("/"))
    assert '<html lang="en">' in body
    assert all(expected in body for expected in NEWS_PAGE["en"])
    assert FUNDING in body


@pytest.mark.parametrize("lang", ["de", "fr", "it", "sl"])
def test_item_page_interface_is_in_the_chosen_language(client, news, lang):
    response = client.get("/press-releases/first-results/", headers={
        "Accept-Language": lang
    })  # fmt: skip
    body = text(response)
    assert f'<html lang="{lang}">' in body
    for expected in [*ITEM_PAGE[lang], NEWS_PAGE[lang][3], NEWS_PAGE[lang][5]]:
        assert expected in body, (lang, expected)
    for english in ["Press release<", "Other languages", "Also in:", "27 November"]:
        assert english not in body, (lang, english)
    # the language versions stay linked both ways, whatever the interface says
    assert '<link rel="alternate" hreflang=' in body


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        pytest.param("?lang=fr", "de", "it", "fr", id="lang-beats-cookie-and-header"),
        pytest.param("", "de", "it", "de", id="cookie-beats-accept-language"),
        pytest.param("", None, "it-CH,it;q=0.9,en;q=0.5", "it", id="accept-language"),
        pytest.param("", None, "ja,sl;q=0.4", "sl", id="first-offered-language"),
        pytest.param("", None, "ja,pt-BR;q=0.8", "en", id="unsupported-falls-back"),
        pytest.param("", None, None, "en", id="default"),
        pytest.param("", "xx", "de", "de", id="unoffered-cookie-ignored"),
    ],
)
def test_interface_language_is_negotiated_lang_then_cookie_then_header(
    app, news, query, cookie, accept, expected
):
    visitor = app.test_client()
    if cookie:
        visitor.set_cookie("lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    assert _language_of(text(visitor.get(f"/{query}", headers=headers))) == expected


def test_chosen_interface_language_is_kept_in_a_cookie(app, news):
    visitor = app.test_client()
    visitor.get("/?lang=sl")
    assert _language_of(text(visitor.get("/search"))) == "sl"
    assert _language_of(text(visitor.get("/newsletter/subscribe"))) == "sl"


def test_cached_page_is_never_served_in_another_language(app, news):
    german = text(app.test_client().get("/", headers={"Accept-Language": "de"}))
    french = text(app.test_client().get("/", headers={"Accept-Language": "fr"}))
    english = text(app.test_client().get("/"))
    assert (_language_of(german), _language_of(french)) == ("de", "fr")
    assert _language_of(english) == "en"


def test_page_links_carry_lang_only_when_the_request_did(app, session):
    import re

    for n in range(7):  # more than one page of 5
        make_item(session, slug=f"pr-{n}", language="de")
    by_header = app.test_client().get(
        "/press-releases/", headers={"Accept-Language": "de"}
    )
    by_query = app.test_client().get("/press-releases/?lang=de")
    by_header_again = app.test_client().get(
        "/press-releases/", headers={"Accept-Language": "de"}
    )

    def next_link(response) -> str:
        found = re.search(r'rel="next" href="([^"]+)"', response.get_data(as_text=True))
        assert found is not None
        return found.group(1).replace("&amp;", "&")

    assert next_link(by_header) == "/press-releases/?page=2"
    assert next_link(by_header_again) == "/press-releases/?page=2"
    assert next_link(by_query) == "/press-releases/?lang=de&page=2"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        # the site's zone (UTC by default) by its name in the language (issue 18)
        ("en", "27 November 2025, 09:30 Coordinated Universal Time"),
        ("de", "27. November 2025, 09:30 Koordinierte Weltzeit"),
        ("fr", "27 novembre 2025, 09:30 temps universel coordonné"),
        ("it", "27 novembre 2025, 09:30 Tempo coordinato universale"),
        ("sl", "27. november 2025, 09:30 univerzalni koordinirani čas"),
    ],
)
def test_event_times_are_formatted_per_locale(client, session, lang, expected):
    make_item(session, kind="event", slug="workshop", starts_at=PUBLISHED)
    assert expected in text(client.get(f"/events/workshop/?lang={lang}"))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "12,345"),
        ("de", "12.345"),
        ("fr", "12\u202f345"),
        ("it", "12.345"),
        ("sl", "12.345"),
    ],
)
def test_counts_are_formatted_per_locale(app, lang, expected):
    with app.test_request_context(f"/?lang={lang}"):
        assert format_number(12345) == expected


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("de", "Seite nicht gefunden"),
        ("fr", "Page introuvable"),
        ("it", "Pagina non trovata"),
        ("sl", "Strani ni mogoče najti"),
    ],
)
def test_error_page_is_in_the_interface_language(client, lang, title):
    response = client.get("/no-such-page", headers={"Accept-Language": lang})
    assert response.status_code == 404
    assert f"<h1>{title}</h1>" in text(response)


def test_subscribe_form_errors_are_in_the_interface_language(client):
    form = client.get("/newsletter/subscribe?lang=de")
    token = text(form).split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/newsletter/subscribe",
        data={"csrf_token": token, "email": "not-an-address", "language": "de"},
        headers={"Accept-Language": "de"},
    )
    assert answer.status_code == 400
    body = text(answer)
    assert "Bitte korrigieren Sie Folgendes:" in body
    assert "ist keine gültige E-Mail-Adresse" in body
    assert "is not a valid e-mail address" not in body


def test_language_links_keep_the_page_filters_and_query(client, session):
    make_item(session, slug="pr", tags=["energy"])
    page = client.get("/press-releases/?tag=energy&page=1&lang=en&next=//evil.example")
    html = page.get_data(as_text=True)
    assert 'href="?tag=energy&amp;page=1&amp;lang=de"' in html
    assert "evil.example" not in html  # only the listing's own parameters
    search = client.get("/search?q=clusters+%26+energy").get_data(as_text=True)
    assert 'href="?q=clusters+%26+energy&amp;lang=fr"' in search


def test_templates_follow_a_locale_forced_mid_request(app):
    # Templates keep each request's translations per locale: a forced locale
    # (a newsletter in its subscriber's language) and its end must both show.
    say = "{{ _('Skip to content') }}"
    with app.test_request_context("/?lang=de"):
        assert render_template_string(say) == "Zum Inhalt springen"
        with force_locale("fr"):
            assert render_template_string(say) == "Aller au contenu"
        assert render_template_string(say) == "Zum Inhalt springen"
