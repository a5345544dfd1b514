"""Every feed variant parses, carries what readers need, and never leaks unsafe text."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_item, make_pdf, make_report, past
from tests.feeds.helpers import (
    ATOM,
    FORMATS,
    MEDIA_TYPES,
    SITE,
    entry_titles,
    fetch,
    parse_json_feed,
    parse_xml_feed,
    strict_xml,
)

SCOPES = [
    "",
    "/press-releases",
    "/reports",
    "/videos",
    "/events",
    "/tags/clusters",
    "/regions/lombardia",
]
THUMBS = {
    "default": {"url": "https://i.ytimg.com/vi/abc/default.jpg", "width": 120},
    "high": {
        "url": "https://i.ytimg.com/vi/abc/hqdefault.jpg",
        "width": 480,
        "height": 360,
    },
}
LOCAL_THUMB = f"{SITE}/videos/three-minutes/thumbnail.jpg"


@pytest.fixture
def catalogue(session, store):
    """One item of every kind, a German version and a PDF of known size."""
    pdf = make_pdf("Lombardia", pages=3)
    items = {
        "press": make_item(
            session,
            slug="first-results",
            title="First results",
            summary="Reports for 11 regions.",
            body="See [the report](/reports/stresstest/) and ![map](/media/map.png).",
            author="Project team",
            tags=["clusters"],
            regions=["lombardia"],
            image="/media/cover.png",
            published_at=past(4),
        ),
        "press_de": make_item(
            session,
            slug="erste-ergebnisse",
            translation="first-results",
            language="de",
            title="Erste Ergebnisse",
            tags=["clusters"],
            published_at=past(4),
        ),
        "report": make_report(
            session,
            store,
            slug="stresstest",
            title="StressTest report",
            filename="stresstest-lombardia.pdf",
            data=pdf,
            tags=["clusters"],
            regions=["lombardia"],
            published_at=past(3),
        ),
        "video": make_item(
            session,
            kind="video",
            slug="three-minutes",
            title="In three minutes",
            youtube_id="-q7RbVt2LkE",
            duration="PT3M12S",
            details={"thumbnails": THUMBS},
            published_at=past(2),
        ),
        "event": make_item(
            session,
            kind="event",
            slug="workshop",
            title="Workshop",
            summary="Ideas from the bottom up.",
            starts_at=past(-30).replace(hour=7, minute=0, second=0),
            ends_at=past(-30).replace(hour=14, minute=0, second=0),
            location="Milan, Italy",
            regions=["lombardia"],
            published_at=past(1),
        ),
    }
    return items, pdf


def _urls() -> list[str]:
    urls = [f"{scope}/feed.{fmt}" for scope in SCOPES for fmt in FORMATS]
    urls += [f"/feed.{fmt}?lang=de" for fmt in FORMATS]
    return urls


def test_every_feed_variant_parses_without_bozo_and_has_the_right_type(
    client, catalogue
):
    for url in _urls():
        response = client.get(url)
        assert response.status_code == 200, url
        fmt = url.split("?")[0].rsplit(".", 1)[1]
        assert response.mimetype == MEDIA_TYPES[fmt], url
        assert response.mimetype_params["charset"] == "utf-8"
        if fmt == "json":
            doc = parse_json_feed(response.data)
            assert doc["items"], url
        else:
            parsed = parse_xml_feed(response.data)
            assert parsed.version == ("rss20" if fmt == "xml" else "atom10")
            assert parsed.entries, url


def test_scopes_hold_only_their_items(client, catalogue):
    assert entry_titles(client, "/reports/feed.xml") == ["StressTest report"]
    assert entry_titles(client, "/events/feed.json") == ["Workshop"]
    assert entry_titles(client, "/regions/lombardia/feed.atom") == [
        "Workshop",
        "StressTest report",
        "First results",
    ]
    assert entry_titles(client, "/tags/clusters/feed.xml") == [
        "StressTest report",
        "First results",
    ]
    assert entry_titles(client, "/feed.xml") == [
        "Workshop",
        "In three minutes",
        "StressTest report",
        "First results",
    ]


def test_lang_gives_that_languages_versions(client, catalogue):
    titles = entry_titles(client, "/press-releases/feed.xml?lang=de")
    assert titles == ["Erste Ergebnisse"]
    parsed = parse_xml_feed(fetch(client, "/press-releases/feed.atom?lang=de"))
    assert parsed.feed.language == "de"
    assert parsed.entries[0].link == f"{SITE}/press-releases/erste-ergebnisse/?lang=de"
    assert parsed.feed.links[0].href.endswith("/press-releases/feed.atom?lang=de")


def test_rss_entry_carries_every_field_readers_need(client, catalogue):
    parsed = parse_xml_feed(fetch(client, "/press-releases/feed.xml"))
    feed = parsed.feed
    assert feed.title == "Test Project: Press releases"
    assert feed.link == f"{SITE}/press-releases/"
    assert feed.language == "en"
    assert any(
        link.rel == "self" and link.href == f"{SITE}/press-releases/feed.xml"
        for link in feed.links
    )
    entry = parsed.entries[0]
    assert entry.id.startswith("tag:127.0.0.1,")
    assert entry.guidislink is False
    assert entry.link == f"{SITE}/press-releases/first-results/"
    assert entry.published_parsed and entry.updated_parsed
    assert entry.author == "Project team"
    assert [t.term for t in entry.tags] == ["clusters", "lombardia"]
    assert entry.summary == "Reports for 11 regions."
    content = entry.content[0].value
    assert f'href="{SITE}/reports/stresstest/"' in content
    assert f'src="{SITE}/media/map.png"' in content
    assert entry.media_content[0]["url"] == f"{SITE}/media/cover.png"


def test_atom_and_json_carry_summary_and_full_body_separately(client, catalogue):
    atom = parse_xml_feed(fetch(client, "/press-releases/feed.atom")).entries[0]
    assert atom.summary == "Reports for 11 regions."
    assert atom.content[0].type == "text/html"
    assert f'href="{SITE}/reports/stresstest/"' in atom.content[0].value
    item = parse_json_feed(fetch(client, "/press-releases/feed.json"))["items"][0]
    assert item["summary"] == "Reports for 11 regions."
    assert f'href="{SITE}/reports/stresstest/"' in item["content_html"]
    assert item["url"] == f"{SITE}/press-releases/first-results/"
    assert item["image"] == f"{SITE}/media/cover.png"
    assert item["tags"] == ["clusters", "lombardia"]


def test_report_enclosure_lengths_are_the_real_file_sizes(client, store, catalogue):
    items, pdf = catalogue
    on_disk = store.path_for(items["report"].files[0].sha256).stat().st_size
    assert on_disk == len(pdf)
    url = f"{SITE}/reports/stresstest/files/stresstest-lombardia.pdf"
    rss = parse_xml_feed(fetch(client, "/reports/feed.xml")).entries[0]
    assert rss.enclosures == [
        {"href": url, "length": str(on_disk), "type": "application/pdf"}
    ]
    atom = strict_xml(fetch(client, "/reports/feed.atom"))
    links = atom.findall(f"{ATOM}entry/{ATOM}link[@rel='enclosure']")
    assert [(x.get("href"), x.get("length"), x.get("type")) for x in links] == [
        (url, str(on_disk), "application/pdf")
    ]
    item = parse_json_feed(fetch(client, "/reports/feed.json"))["items"][0]
    assert item["attachments"][0]["size_in_bytes"] == on_disk
    assert item["attachments"][0]["mime_type"] == "application/pdf"
    with client.get(url.removeprefix(SITE)) as download:
        assert download.data == pdf


def test_video_carries_media_rss_and_thumbnail_image(client, catalogue):
    for fmt in ("xml", "atom"):
        entry = parse_xml_feed(fetch(client, f"/videos/feed.{fmt}")).entries[0]
        assert entry.media_content[0]["medium"] == "video"
        assert entry.media_content[0]["duration"] == "192"
        assert "-q7RbVt2LkE" in entry.media_content[0]["url"]
        # The site's own copy: a feed reader never loads the image from Google.
        assert entry.media_thumbnail[0]["url"] == LOCAL_THUMB
        assert entry.media_thumbnail[0]["width"] == "480"
    item = parse_json_feed(fetch(client, "/videos/feed.json"))["items"][0]
    assert item["image"] == LOCAL_THUMB


def test_event_summary_carries_its_dates(client, catalogue):
    items, _ = catalogue
    starts = items["event"].starts_at
    entry = parse_xml_feed(fetch(client, "/events/feed.xml")).entries[0]
    assert f"Starts {starts.day} {starts.strftime('%B %Y')}, 07:00 UTC" in (
        entry.summary
    )
    assert "14:00 UTC" in entry.summary
    assert "Milan, Italy" in entry.summary
    assert entry.summary.endswith("Ideas from the bottom up.")


HOSTILE_BODY = (
    "Hello\x07\x1b\x0b world <script>alert('x')</script>\n\n"
    '<img src="x" onerror="alert(1)"> <a href="javascript:alert(2)">click</a> '
    '<iframe src="https://evil.example"></iframe>'
    "<style>body{display:none}</style>"
    '<a href="/safe/" onclick="steal()">safe</a> ]]> &lt;'
)


def test_hostile_html_and_control_characters_give_a_valid_inert_feed(client, session):
    make_item(
        session,
        title="Bell\x07 <b>bold</b> & \x1b]]> title",
        summary="Tab\tkept, escape\x1b and vertical\x0b tab dropped <script>x</script>",
        body=HOSTILE_BODY,
        author="Eve\x08 <eve@example.org>",
    )
    for fmt in FORMATS:
        body = fetch(client, f"/feed.{fmt}")
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", body), fmt
        if fmt == "json":
            item = parse_json_feed(body)["items"][0]
            title, html = item["title"], item["content_html"]
        else:
            strict_xml(body)
            entry = parse_xml_feed(body).entries[0]
            title = entry.title
            html = entry.content[0].value
        assert "Bell" in title and "title" in title
        lowered = html.lower()
        for unsafe in ("<script", "onerror", "javascript:", "<iframe", "onclick"):
            assert unsafe not in lowered, (fmt, unsafe)
        assert "<style" not in lowered
        assert f'href="{SITE}/safe/"' in html
        assert "Hello world" in html.replace("  ", " ")
    json_item = parse_json_feed(fetch(client, "/feed.json"))["items"][0]
    assert json_item["summary"].startswith("Tab\tkept, escape and vertical tab")


def test_empty_catalogue_still_gives_valid_feeds(client):
    for fmt in FORMATS:
        body = fetch(client, f"/feed.{fmt}")
        if fmt == "json":
            assert parse_json_feed(body)["items"] == []
        else:
            assert parse_xml_feed(body).entries == []


def test_image_with_a_script_url_is_left_out(client, session):
    make_item(session, title="Sneaky", image="javascript:alert(1)")
    item = parse_json_feed(fetch(client, "/feed.json"))["items"][0]
    assert "image" not in item
    assert b"javascript:" not in fetch(client, "/feed.xml")
