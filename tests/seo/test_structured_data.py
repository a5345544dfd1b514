"""Findability: titles, descriptions, canonical URLs, Open Graph and JSON-LD."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser

from comms.seo import ld_json
from tests.factories import make_item, make_report, past

SITE_URL = "http://127.0.0.1:5000"


class Head(HTMLParser):
    """Collects <title>, meta tags, link rel=canonical and JSON-LD blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, list[str]] = {}
        self.links: dict[str, str] = {}
        self.ld: list[dict] = []
        self._in: str | None = None
        self._buffer = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta":
            key = a.get("name") or a.get("property")
            if key:
                self.meta.setdefault(key, []).append(a.get("content") or "")
        elif tag == "link" and a.get("rel"):
            self.links.setdefault(a["rel"], a.get("href") or "")
        elif tag == "title" or (
            tag == "script" and a.get("type") == "application/ld+json"
        ):
            self._in, self._buffer = tag, ""

    def handle_data(self, data):
        if self._in:
            self._buffer += data

    def handle_endtag(self, tag):
        if tag == self._in == "title":
            self.title = self._buffer
        elif tag == self._in == "script":
            self.ld.append(json.loads(self._buffer))
        if tag == self._in:
            self._in = None


def head_of(client, url: str) -> Head:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = Head()
    parser.feed(response.get_data(as_text=True))
    return parser


def ld_of_type(head: Head, type_: str) -> dict:
    found = [block for block in head.ld if block.get("@type") == type_]
    assert len(found) == 1, [b.get("@type") for b in head.ld]
    assert found[0]["@context"] == "https://schema.org"
    return found[0]


PAGES = ["/", "/reports/", "/videos/", "/search", "/accessibility/", "/newsletter/"]


def test_every_page_has_title_description_canonical_and_social_tags(client, session):
    make_item(session, slug="news-1", title="First results", summary="What we did.")
    for url in [*PAGES, "/press-releases/news-1/"]:
        head = head_of(client, url)
        assert head.title.strip(), url
        assert head.meta["description"][0].strip(), url
        canonical = head.links["canonical"]
        assert canonical == SITE_URL + url.split("?")[0], url
        assert head.meta["og:url"] == [canonical]
        assert head.meta["og:title"][0] == head.title.strip()
        assert head.meta["og:description"] == head.meta["description"]
        assert head.meta["og:site_name"] == ["Test Project"]
        assert head.meta["twitter:card"] == ["summary"]
        assert head.meta["twitter:title"] == head.meta["og:title"]
        organization = ld_of_type(head, "Organization")
        assert organization["name"] == "Test Project"
        assert organization["url"] == SITE_URL + "/"


def test_open_graph_locale_is_language_and_territory(client, session):
    make_item(session, slug="news-1")
    assert head_of(client, "/").meta["og:locale"] == ["en_GB"]
    assert head_of(client, "/?lang=de").meta["og:locale"] == ["de_DE"]
    assert head_of(client, "/press-releases/news-1/?lang=sl").meta["og:locale"] == [
        "sl_SI"
    ]


def test_item_page_title_and_description_are_the_items(client, session):
    make_item(session, slug="x", title="Cluster day", summary="A day of clusters.")
    head = head_of(client, "/press-releases/x/")
    assert head.title == "Cluster day · Test Project"
    assert head.meta["description"] == ["A day of clusters."]
    assert head.meta["og:type"] == ["article"]


def test_canonical_keeps_the_page_number_only(client, session, settings):
    for n in range(settings.page_size + 1):
        make_item(session, slug=f"n{n}")
    head = head_of(client, "/press-releases/?page=2&tag=&lang=en")
    assert head.links["canonical"] == SITE_URL + "/press-releases/?page=2"


def test_press_release_is_a_news_article(client, session):
    make_item(
        session,
        slug="pr",
        title="First results",
        summary="Summary.",
        published_at=past(3),
        author="Press office",
        tags=["clusters"],
    )
    data = ld_of_type(head_of(client, "/press-releases/pr/"), "NewsArticle")
    assert data["headline"] == "First results"
    assert data["datePublished"].startswith(str(past(3).date()))
    assert data["author"] == {"@type": "Organization", "name": "Press office"}
    assert data["publisher"]["name"] == "Test Project"
    assert data["url"] == data["mainEntityOfPage"] == SITE_URL + "/press-releases/pr/"
    assert data["inLanguage"] == "en"
    assert data["keywords"] == "clusters"


def test_report_is_a_report_with_authors_file_and_doi(client, session, store):
    make_report(
        session,
        store,
        slug="rep",
        title="StressTest report: Lombardy",
        deliverable="D.T1.2.1",
        licence="CC-BY-4.0",
        doi="10.5281/zenodo.123",
        details={"authors": ["HES-SO", "Anteja ECG"]},
    )
    data = ld_of_type(head_of(client, "/reports/rep/"), "Report")
    assert data["name"] == "StressTest report: Lombardy"
    assert [a["name"] for a in data["author"]] == ["HES-SO", "Anteja ECG"]
    assert data["reportNumber"] == "D.T1.2.1"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["identifier"]["value"] == "10.5281/zenodo.123"
    assert data["sameAs"] == "https://doi.org/10.5281/zenodo.123"
    assert data["encoding"][0]["contentUrl"] == (
        SITE_URL + "/reports/rep/files/report.pdf"
    )
    assert data["datePublished"]


def test_video_is_a_video_object_with_required_properties(client, session):
    make_item(
        session,
        kind="video",
        slug="film",
        title="The project in 3 minutes",
        summary="A short film.",
        youtube_id="abcDEF-_123",
        duration="PT3M12S",
        view_count=42,
        details={
            "thumbnails": {"high": {"url": "https://i.ytimg.com/vi/x/hqdefault.jpg"}}
        },
    )
    head = head_of(client, "/videos/film/")
    data = ld_of_type(head, "VideoObject")
    assert data["name"] == "The project in 3 minutes"
    assert data["description"] == "A short film."
    assert data["uploadDate"]
    # The site's own copy of the thumbnail, never YouTube's image server.
    assert data["thumbnailUrl"] == SITE_URL + "/videos/film/thumbnail.jpg"
    assert data["duration"] == "PT3M12S"
    assert data["embedUrl"] == "https://www.youtube-nocookie.com/embed/abcDEF-_123"
    assert data["interactionStatistic"]["userInteractionCount"] == 42


def test_event_is_an_event_with_dates_and_place(client, session):
    make_item(
        session,
        kind="event",
        slug="edw",
        title="Entrepreneurial Discovery Workshop",
        starts_at=past(10),
        ends_at=past(9),
        location="Milan",
        details={"online_url": "https://meet.example/edw"},
    )
    data = ld_of_type(head_of(client, "/events/edw/"), "Event")
    assert data["name"] == "Entrepreneurial Discovery Workshop"
    assert data["startDate"].startswith(str(past(10).date()))
    assert data["endDate"]
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert data["location"][0] == {
        "@type": "Place",
        "name": "Milan",
        "address": "Milan",
    }
    assert data["location"][1]["url"] == "https://meet.example/edw"
    assert data["organizer"]["name"] == "Test Project"


def test_json_ld_cannot_close_its_script_element(client, session):
    title = "Evil </script><script>alert(1)</script> <!-- title"
    make_item(session, slug="evil", title=title)
    html = client.get("/press-releases/evil/").get_data(as_text=True)
    head = html[: html.index("</head>")]
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', head, re.S
    )
    assert all("</" not in b and "<!--" not in b for b in blocks)
    assert [b.get("@type") for b in map(json.loads, blocks)] == [
        "Organization",
        "NewsArticle",
    ]
    assert json.loads(blocks[1])["headline"] == title
    # a browser's parser sees the same two script elements, nothing more
    assert head.count("</script>") == 2


def test_ld_json_escapes_and_round_trips():
    data = {"name": "a</script>b<!--c", "n": 1}
    html = str(ld_json(data))
    payload = html.removeprefix('<script type="application/ld+json">').removesuffix(
        "</script>"
    )
    assert "</" not in payload
    assert json.loads(payload) == data


def test_search_results_are_not_indexed_but_the_form_is(client, session):
    assert "noindex" not in unescape(client.get("/search").get_data(as_text=True))
    html = client.get("/search?q=x").get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in html
