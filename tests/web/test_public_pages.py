"""Public pages: what visitors see of published, draft, scheduled, archived items."""

from __future__ import annotations

import re

import pytest
from freezegun import freeze_time

from comms.config import DEFAULT_VIDEO_PUBLIC_TYPES
from tests.factories import future, make_item, past
from tests.web.helpers import (
    FUNDING,
    KINDS,
    LISTINGS,
    SITE_NAME,
    cards,
    listing_url,
    make,
    page_url,
    resolved,
    text,
)

# --- site-wide URLs -------------------------------------------------------------


def test_healthz_answers_ok_as_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json()["status"] == "ok"


def test_robots_txt_is_plain_text_keeping_crawlers_out_of_admin(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    body = text(response)
    assert "User-agent: *" in body
    assert "Disallow: /admin/" in body
    assert re.search(r"^Sitemap: https?://\S+/sitemap\.xml$", body, re.M)


@pytest.mark.parametrize(
    "url",
    [
        "/no-such-page",
        "/press-releases/no-such-item/",
        "/reports/no-such-item/",
        "/videos/no-such-item/",
        "/events/no-such-item/",
        "/reports/no-such-item/files/report.pdf",
        "/newsletters-typo/",
    ],
)
def test_unknown_url_gives_html_404_page_with_a_message(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    body = text(response)
    assert "<h1>Page not found</h1>" in body
    message = re.search(r'<p class="error-message">([^<]+)</p>', body)
    assert message and message.group(1).strip()
    assert 'href="/"' in body  # a way back to the news page


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/", "Latest news"),
        ("/press-releases/", "Press releases"),
        ("/reports/", "Reports"),
        ("/videos/", "Videos"),
        ("/events/", "Events"),
    ],
)
def test_empty_listing_answers_200_with_heading_and_empty_state(client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    body = text(response)
    assert f"<h1>{heading}</h1>" in body
    assert "Nothing published here yet." in body


# --- published, draft, scheduled, archived ----------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_published_item_shows_on_news_page_listing_and_own_page(
    client, session, store, kind
):
    item = make(session, store, kind, title="Visible title")
    url = page_url(item)
    assert url in cards(text(client.get("/")))
    assert url in cards(text(client.get(listing_url(kind))))
    response = client.get(url)
    assert response.status_code == 200
    assert "<h1>Visible title</h1>" in text(response)


@pytest.mark.parametrize("kind", KINDS)
def test_item_shows_only_on_its_own_kinds_listing(client, session, store, kind):
    item = make(session, store, kind)
    for listing in LISTINGS:
        shown = page_url(item) in cards(text(client.get(listing)))
        assert shown == (listing == listing_url(kind)), listing


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"status": "draft"}, id="draft"),
        pytest.param({"status": "draft", "published_at": None}, id="draft-undated"),
        pytest.param({"published_at": lambda: future(1)}, id="scheduled"),
        pytest.param(
            {"published_at": lambda: future(1 / 1440)}, id="scheduled-in-a-minute"
        ),
        pytest.param(
            {"status": "archived", "published_at": lambda: future(1)},
            id="archived-scheduled",
        ),
    ],
)
def test_unpublished_item_absent_from_news_page_listing_and_404_on_its_page(
    client, session, store, kind, state
):
    make(session, store, kind)  # something public, so the listings are not empty
    item = make(session, store, kind, **resolved(state))
    url = page_url(item)
    assert url not in cards(text(client.get("/")))
    assert url not in cards(text(client.get(listing_url(kind))))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
def test_item_published_a_moment_ago_shows_on_news_page(client, session, store, kind):
    item = make(session, store, kind, published_at=past(5 / 86400))
    assert page_url(item) in cards(text(client.get("/")))
    assert client.get(page_url(item)).status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_scheduled_item_appears_once_its_time_passes(client, session, store, kind):
    item = make(session, store, kind, published_at=future(1))
    url = page_url(item)
    assert url not in cards(text(client.get(listing_url(kind))))
    with freeze_time(future(2)):
        assert url in cards(text(client.get("/")))
        assert url in cards(text(client.get(listing_url(kind))))
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_archived_item_absent_from_listings_but_its_page_shows_archived_notice(
    client, session, store, kind
):
    item = make(session, store, kind, status="archived", title="Old news")
    url = page_url(item)
    assert url not in cards(text(client.get("/")))
    assert url not in cards(text(client.get(listing_url(kind))))
    response = client.get(url)
    assert response.status_code == 200
    body = text(response)
    assert "<h1>Old news</h1>" in body
    assert re.search(r'class="notice"[^>]*>[^<]*archived', body)


def test_published_item_page_has_no_archived_notice(client, session):
    item = make_item(session)
    assert "archived" not in text(client.get(page_url(item)))


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"availability": "private"}, id="private"),
        pytest.param({"availability": "deleted"}, id="deleted"),
        pytest.param({"hidden": True}, id="hidden"),
        pytest.param({"hidden": True, "status": "archived"}, id="hidden-archived"),
    ],
)
def test_private_deleted_or_hidden_video_absent_from_listings_and_404(
    client, session, state
):
    make_item(session, kind="video")
    video = make_item(session, kind="video", **resolved(state))
    url = page_url(video)
    assert url not in cards(text(client.get("/")))
    assert url not in cards(text(client.get("/videos/")))
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("video_type", "english", "german"),
    [
        ("short", "Short", "Short"),
        ("live", "Live now", "Jetzt live"),
        ("upcoming", "Upcoming", "Demnächst"),
        ("premiere", "Premiere", "Premiere"),
    ],
)
def test_a_video_card_and_page_name_its_type(
    client, session, video_type, english, german
):
    video = make_item(session, kind="video", video_type=video_type, slug="clip")
    plain = make_item(session, kind="video", video_type="video", slug="plain")
    badge = f'<span class="badge badge-{video_type}">'
    # the news page lists the COMMS_VIDEO_PUBLIC_TYPES only (not upcoming ones)
    shown_on_news = video_type in DEFAULT_VIDEO_PUBLIC_TYPES
    for url in ("/", "/videos/", page_url(video))[0 if shown_on_news else 1 :]:
        assert f"{badge}{english}</span>" in text(client.get(url)), url
    german_page = text(client.get(page_url(video), headers={"Accept-Language": "de"}))
    assert f"{badge}{german}</span>" in german_page
    assert "badge" not in text(client.get(page_url(plain)))


def test_report_page_links_its_file_download(client, session, store):
    report = make(session, store, "report", slug="policy", filename="policy.pdf")
    body = text(client.get(page_url(report)))
    assert 'href="/reports/policy/files/policy.pdf"' in body


def test_item_of_one_kind_is_404_under_another_kinds_url(client, session):
    make_item(session, kind="event", slug="workshop")
    assert client.get("/events/workshop/").status_code == 200
    assert client.get("/press-releases/workshop/").status_code == 404
    assert client.get("/reports/workshop/").status_code == 404


@pytest.mark.parametrize("url", ["/press-releases/a%00b/", "/reports/x%01/"])
def test_control_character_in_item_url_is_refused_not_a_server_error(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert "error-message" in text(response)


# --- site identity on every page -----------------------------------------------


@pytest.fixture
def one_of_each(session, store):
    return {kind: make(session, store, kind) for kind in KINDS}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?lang=de",
        "/?tag=nothing",
        *LISTINGS,
        "/press-releases/{press_release}/",
        "/reports/{report}/",
        "/videos/{video}/",
        "/events/{event}/",
        "/no-such-page",
        "/?page=0",
        "/?lang=xx",
    ],
)
def test_site_name_and_eu_funding_acknowledgement_on_every_page(
    client, one_of_each, url
):
    response = client.get(url.format(**{k: v.slug for k, v in one_of_each.items()}))
    assert response.mimetype == "text/html"
    body = text(response)
    assert SITE_NAME in body
    german = "lang=de" in url  # the acknowledgement in the interface language
    assert ("Kofinanziert von der Europäischen Union" if german else FUNDING) in body
    assert re.search(r"<title>[^<]*Test Project</title>", body)


# --- hostile input ---------------------------------------------------------------

HOSTILE_BODY = """\
<script>alert(1)</script>

<img src=x onerror=alert(1)>

[x](javascript:alert(1))

<a href="javascript:alert(2)">y</a>

<p onclick="alert(3)" style="x">z</p>

<iframe src="https://evil.example/"></iframe>
"""


@pytest.mark.parametrize("kind", KINDS)
def test_hostile_markdown_renders_without_script_or_event_handlers(
    client, session, store, kind
):
    item = make(session, store, kind, body=HOSTILE_BODY)
    response = client.get(page_url(item))
    assert response.status_code == 200
    body = text(response).lower()
    assert "<script>alert" not in body
    assert "<script" not in body.split('<div class="body">')[1]
    assert "onerror=" not in body
    assert "onclick=" not in body
    assert "<iframe" not in body
    # No attribute anywhere carries a javascript: URL; commonmark leaves the
    # refused link as plain, harmless text.
    assert not re.search(r"""=\s*["']?\s*javascript:""", body)
    assert 'href="javascript:' not in body


@pytest.mark.parametrize("param", ["tag", "region"])
def test_filter_value_is_escaped_when_shown_back(client, param):
    response = client.get("/", query_string={param: "<script>alert(1)</script>"})
    assert response.status_code == 200
    body = text(response).lower()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)" in body
