"""Every error page the public sees speaks the visitor's language.

Titles are checked against the wording in each language, explanations against the
catalogue (and against English); Werkzeug's own English descriptions never show.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest
from babel.support import Translations
from flask import abort
from werkzeug import exceptions

from comms import create_app
from comms.db import init_db
from comms.errors_http import status_texts
from comms.i18n import TRANSLATIONS_DIR

LANGUAGES = ["en", "de", "fr", "it", "sl"]
TITLES = {
    400: ["Bad request", "Ungültige Anfrage", "Requête incorrecte",
          "Richiesta non valida", "Neveljavna zahteva"],
    403: ["Access denied", "Zugriff verweigert", "Accès refusé",
          "Accesso negato", "Dostop zavrnjen"],
    404: ["Page not found", "Seite nicht gefunden", "Page introuvable",
          "Pagina non trovata", "Strani ni mogoče najti"],
    405: ["Method not allowed", "Methode nicht erlaubt", "Méthode non autorisée",
          "Metodo non consentito", "Metoda ni dovoljena"],
    410: ["Page gone", "Seite entfernt", "Page supprimée", "Pagina rimossa",
          "Stran je odstranjena"],
    413: ["Too large", "Zu groß", "Trop volumineux", "Troppo grande", "Preveliko"],
    429: ["Too many requests", "Zu viele Anfragen", "Trop de demandes",
          "Troppe richieste", "Preveč zahtev"],
    500: ["Server error", "Serverfehler", "Erreur du serveur", "Errore del server",
          "Napaka strežnika"],
}  # fmt: skip
WERKZEUG_TEXTS = [
    cls.description
    for cls in vars(exceptions).values()
    if isinstance(cls, type)
    and issubclass(cls, exceptions.HTTPException)
    and isinstance(cls.description, str)
]


@pytest.fixture
def error_app(settings):  # type: ignore[no-untyped-def]
    """The app with an upload limit of 1 MB, server errors shown as pages, and
    routes that fail the way a view can (abort, an uncaught exception)."""
    app = create_app(replace(settings, max_upload_mb=1))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for code in (403, 410, 429):
        app.add_url_rule(
            f"/failing/{code}/", f"failing_{code}", lambda code=code: abort(code)
        )

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/failing/500/", "failing_500", broken)
    init_db(app.extensions["comms"].engine)
    yield app
    app.extensions["comms"].engine.dispose()


def _answer(client, status: int, lang: str):  # type: ignore[no-untyped-def]
    if status == 400:
        return client.get(f"/?page=abc&lang={lang}")
    if status == 404:
        return client.get(f"/no-such-page/?lang={lang}")
    if status == 405:
        return client.post(f"/?lang={lang}")
    if status == 413:
        big = "x" * (1024 * 1024 + 100)
        return client.post(f"/newsletter/subscribe?lang={lang}", data={"email": big})
    return client.get(f"/failing/{status}/?lang={lang}")


def _main(html: str) -> str:
    found = re.search(r"<main\b.*?</main>", html, re.S)
    assert found, html[:300]
    return found[0]


def _visible(html: str) -> str:
    """The main part's text a visitor reads (folded details left out)."""
    main = re.sub(r"<details\b.*?</details>", "", _main(html), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


@pytest.mark.parametrize("status", sorted(TITLES))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_page_is_in_the_visitors_language(error_app, status, lang):
    response = _answer(error_app.test_client(), status, lang)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    title = TITLES[status][LANGUAGES.index(lang)]
    assert f"<h1>{title}</h1>" in html
    catalogue = Translations.load(str(TRANSLATIONS_DIR), [lang])
    explanation = catalogue.gettext(status_texts(status)[1])
    visible = _visible(html)
    if status != 413:  # the 413 page names the limit in its own sentence
        assert explanation in visible
    if lang != "en":
        assert explanation != status_texts(status)[1]
        assert status_texts(status)[1] not in visible
    for text in WERKZEUG_TEXTS:
        assert text not in unescape(html)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_too_large_page_names_the_limit_in_the_visitors_language(error_app, lang):
    response = _answer(error_app.test_client(), 413, lang)
    words = {"en": "at most 1 MB", "de": "höchstens 1 MB", "fr": "au plus 1 Mo",
             "it": "al massimo di 1 MB", "sl": "največ 1 MB"}  # fmt: skip
    assert words[lang] in _visible(response.get_data(as_text=True))


def test_method_not_allowed_keeps_the_allow_header(client):
    response = client.post("/?lang=de")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_a_services_english_detail_is_folded_away_and_marked_english(client):
    html = client.get("/reports/no-such-report/?lang=de").get_data(as_text=True)
    assert "no report" not in _visible(html)
    detail = re.search(r'<details class="error-detail">(.*?)</details>', html, re.S)
    assert detail is not None
    assert "Technische Angabe (auf Englisch)" in detail[1]
    assert re.search(r'<p lang="en">no report &#39;no-such-report&#39;</p>', detail[1])


def test_a_services_detail_is_shown_to_an_english_reader(client):
    html = client.get("/reports/no-such-report/").get_data(as_text=True)
    assert "no report 'no-such-report'" in _visible(html)
    assert "<details" not in html


def test_unoffered_lang_is_refused_in_the_accept_language(client):
    response = client.get("/?lang=xx", headers={"Accept-Language": "fr-CH, fr"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "<h1>Requête incorrecte</h1>" in html


def test_api_errors_stay_english_json(client):
    response = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "de"})
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "status": 404,
            "title": "Page not found",
            "message": exceptions.NotFound.description,
        }
    }
