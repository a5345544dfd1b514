"""Every language signal agrees: <link hreflang>, canonical and the sitemap."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from comms.catalogue.models import Newsletter
from tests.factories import make_item, past

SITE = "http://127.0.0.1:5000"
LANGUAGES = ("en", "de", "fr", "it", "sl")
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "x": "http://www.w3.org/1999/xhtml",
}


class LinkTags(HTMLParser):
    """The head's canonical URL and its hreflang alternates."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.canonical: list[str] = []
        self.alternates: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag != "link":
            return
        if a.get("rel") == "canonical":
            self.canonical.append(a.get("href") or "")
        elif a.get("rel") == "alternate" and a.get("hreflang"):
            assert a["hreflang"] not in self.alternates, a
            self.alternates[a["hreflang"]] = a.get("href") or ""


def page_signals(client, url: str) -> LinkTags:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = LinkTags()
    parser.feed(response.get_data(as_text=True))
    assert len(parser.canonical) == 1, url
    return parser


def sitemap(client) -> dict[str, dict[str, str]]:
    """Each <loc> of the sitemap with its xhtml:link alternates."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    found: dict[str, dict[str, str]] = {}
    for url in ET.fromstring(response.data).findall("s:url", NS):
        loc = url.findtext("s:loc", namespaces=NS) or ""
        assert loc not in found, loc
        found[loc] = {
            link.get("hreflang") or "": link.get("href") or ""
            for link in url.findall("x:link", NS)
        }
    return found


def assert_agree(client, listed: dict[str, dict[str, str]], url: str) -> LinkTags:
    """The page's canonical is a sitemap <loc> whose alternates are the page's."""
    signals = page_signals(client, url)
    canonical = signals.canonical[0]
    assert canonical.startswith(SITE + "/"), canonical
    assert canonical in listed, canonical
    assert signals.alternates == listed[canonical], url
    assert all(href.startswith(SITE + "/") for href in signals.alternates.values())
    assert signals.alternates[signals_language(canonical)] == canonical
    assert "x-default" in signals.alternates
    return signals


def signals_language(url: str) -> str:
    """The language of a version's URL: its ?lang=, else the default (en)."""
    return url.rsplit("lang=", 1)[1] if "lang=" in url else "en"


def version(path: str, lang: str) -> str:
    return f"{SITE}{path}" if lang == "en" else f"{SITE}{path}?lang={lang}"


@pytest.fixture
def translated_items(session):
    make_item(session, slug="first-results", language="en", translation="r1")
    make_item(session, slug="erste-ergebnisse", language="de", translation="r1")
    make_item(session, slug="premiers-resultats", language="fr", translation="r1")
    make_item(session, slug="only-english", language="en", translation="r2")
    # two versions sharing one slug: only ?lang= tells them apart
    make_item(session, kind="event", slug="agenda", language="en", translation="r3")
    make_item(session, kind="event", slug="agenda", language="de", translation="r3")


@pytest.mark.parametrize(
    "url",
    [
        "/press-releases/first-results/",
        "/press-releases/erste-ergebnisse/?lang=de",
        "/press-releases/premiers-resultats/",
        "/press-releases/only-english/?lang=sl",
        "/events/agenda/?lang=de",
        "/events/agenda/",
    ],
)
def test_item_pages_name_their_versions_as_the_sitemap_does(
    client, translated_items, url
):
    listed = sitemap(client)
    signals = assert_agree(client, listed, url)
    if "first-results" in url or "premiers" in url or "erste" in url:
        assert set(signals.alternates) == {"en", "de", "fr", "x-default"}
        assert signals.alternates["x-default"] == signals.alternates["en"]
        assert signals.alternates["de"] == (
            f"{SITE}/press-releases/erste-ergebnisse/?lang=de"
        )


def test_a_shared_slug_has_a_canonical_per_language(client, translated_items):
    en = page_signals(client, "/events/agenda/?lang=en").canonical
    de = page_signals(client, "/events/agenda/?lang=de").canonical
    assert en == [f"{SITE}/events/agenda/"]
    assert de == [f"{SITE}/events/agenda/?lang=de"]


@pytest.mark.parametrize("path", ["/", "/events/", "/reports/", "/newsletter/"])
@pytest.mark.parametrize("lang", ["en", "de", "sl"])
def test_listings_agree_with_the_sitemap_in_every_language(
    client, translated_items, path, lang
):
    listed = sitemap(client)
    signals = assert_agree(client, listed, f"{path}?lang={lang}")
    assert signals.canonical == [version(path, lang)]
    assert set(signals.alternates) == {*LANGUAGES, "x-default"}


def test_a_filtered_listing_points_at_the_plain_one(app, translated_items):
    signals = page_signals(app.test_client(), "/press-releases/?tag=x&lang=fr")
    assert signals.canonical == [f"{SITE}/press-releases/?lang=fr"]
    signals = page_signals(app.test_client(), "/press-releases/?tag=x&page=1")
    assert signals.canonical == [f"{SITE}/press-releases/"]


@pytest.fixture
def issue(session):
    for language, title in [("en", "Issue one"), ("de", "Ausgabe eins")]:
        session.add(
            Newsletter(
                slug="newsletter-1", language=language, translation="n1",
                title=title, status="published", published_at=past(3),
            )
        )  # fmt: skip
    session.commit()


@pytest.mark.parametrize("lang", ["en", "de"])
def test_each_newsletter_issue_version_has_its_own_canonical(client, issue, lang):
    listed = sitemap(client)
    signals = assert_agree(client, listed, f"/newsletter/newsletter-1/?lang={lang}")
    assert signals.canonical == [version("/newsletter/newsletter-1/", lang)]
    assert set(signals.alternates) == {"en", "de", "x-default"}


def test_the_sitemap_names_the_site_pages_in_every_language(client, issue):
    listed = sitemap(client)
    for path in ["/", "/newsletter/", "/accessibility/", "/events/", "/about/",
                 "/privacy/", "/legal/"]:  # fmt: skip
        for lang in LANGUAGES:
            assert version(path, lang) in listed
    for lang in ("en", "de"):
        assert version("/newsletter/newsletter-1/", lang) in listed
    # every alternate the sitemap names is itself listed with the same set
    for loc, alternates in listed.items():
        assert alternates[signals_language(loc)] == loc
        for href in alternates.values():
            assert listed.get(href) == alternates, href


def test_a_static_page_lists_itself_with_the_decorator(app, client):
    from comms.sitemap import in_sitemap

    @in_sitemap()
    def statement() -> str:
        return "statement"

    app.add_url_rule("/statement/", "statement", statement)
    assert f"{SITE}/statement/?lang=de" in sitemap(client)
