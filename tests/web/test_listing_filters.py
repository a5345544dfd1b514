"""Listing filters, parameter checks and pagination on the news page and listings."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import make_item, past
from tests.web.helpers import (
    KINDS,
    LISTINGS,
    cards,
    make,
    page_url,
    rel_link,
    text,
)

# --- filters ---------------------------------------------------------------------


@pytest.fixture
def catalogue(session, store):
    """Items of every kind with different tags and regions, keyed by a short name."""
    return {
        "pr-alps-bayern": make(
            session, store, "press_release", tags=["alps"], regions=["bayern"]
        ),
        "pr-alps-lombardia": make(
            session, store, "press_release", tags=["alps"], regions=["lombardia"]
        ),
        "pr-energy-bayern": make(
            session, store, "press_release", tags=["energy"], regions=["bayern"]
        ),
        "report-alps-bayern": make(
            session, store, "report", tags=["energy", "alps"], regions=["bayern"]
        ),
        "report-plain": make(session, store, "report"),
        "video-alps": make(session, store, "video", tags=["alps"]),
        "event-bayern": make(session, store, "event", regions=["slovenija", "bayern"]),
    }


def shown(client, url: str, catalogue) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    urls = set(cards(text(response)))
    return {name for name, item in catalogue.items() if page_url(item) in urls}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/?kind=report", {"report-alps-bayern", "report-plain"}),
        ("/?kind=reports", {"report-alps-bayern", "report-plain"}),
        ("/?kind=video", {"video-alps"}),
        ("/?kind=videos", {"video-alps"}),
        ("/?kind=event", {"event-bayern"}),
        ("/?kind=events", {"event-bayern"}),
        (
            "/?kind=press_release",
            {"pr-alps-bayern", "pr-alps-lombardia", "pr-energy-bayern"},
        ),
        (
            "/?kind=press-releases",
            {"pr-alps-bayern", "pr-alps-lombardia", "pr-energy-bayern"},
        ),
        (
            "/?tag=alps",
            {"pr-alps-bayern", "pr-alps-lombardia", "report-alps-bayern", "video-alps"},
        ),
        (
            "/?region=bayern",
            {
                "pr-alps-bayern",
                "pr-energy-bayern",
                "report-alps-bayern",
                "event-bayern",
            },
        ),
        ("/?tag=alps&region=bayern", {"pr-alps-bayern", "report-alps-bayern"}),
        ("/?kind=report&tag=alps", {"report-alps-bayern"}),
        ("/?kind=reports&tag=energy&region=bayern", {"report-alps-bayern"}),
        ("/?kind=press_release&tag=alps&region=lombardia", {"pr-alps-lombardia"}),
        ("/press-releases/?tag=alps", {"pr-alps-bayern", "pr-alps-lombardia"}),
        ("/press-releases/?region=bayern", {"pr-alps-bayern", "pr-energy-bayern"}),
        ("/press-releases/?tag=alps&region=bayern", {"pr-alps-bayern"}),
        ("/reports/?tag=alps&region=bayern", {"report-alps-bayern"}),
        ("/videos/?tag=alps", {"video-alps"}),
        ("/events/?region=slovenija", {"event-bayern"}),
    ],
)
def test_filters_combine_on_news_page_and_listings(client, catalogue, url, expected):
    assert shown(client, url, catalogue) == expected


def test_empty_filter_parameters_filter_nothing(client, catalogue):
    plain = text(client.get("/"))
    empty = text(client.get("/?kind=&tag=&region=&lang=&page="))
    assert cards(empty) == cards(plain)
    assert len(cards(empty)) == 5


@pytest.mark.parametrize(
    "url",
    [
        "/?tag=nothing-tagged",
        "/?region=nowhere",
        "/?kind=event&tag=alps",
        "/?tag=alps&region=slovenija",
        "/videos/?region=bayern",
        "/events/?tag=energy",
    ],
)
def test_filter_matching_nothing_gives_200_with_empty_state(client, catalogue, url):
    response = client.get(url)
    assert response.status_code == 200
    body = text(response)
    assert cards(body) == []
    assert "Nothing published here yet." in body
    assert re.search(r'<a href="/[a-z-]*/?">show all</a>', body)


def test_filter_summary_names_the_filters_and_region_display_name(client, catalogue):
    body = text(client.get("/?kind=report&tag=alps&region=bayern"))
    assert "<strong>reports</strong>" in body
    assert "on the topic <strong>Alps</strong>" in body  # no label in site.yml
    assert "<strong>Bayern</strong>" in body


# --- invalid parameters --------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "kind=bogus",
        "kind=Report",
        "kind=press release",
        "page=abc",
        "page=0",
        "page=-1",
        "page=1.5",
        "page=%201",
        "page=99999999",
        "page=%C2%B2",  # superscript two: a Unicode digit, not a page number
        "page=%D9%A1",  # Arabic-Indic one
        "lang=xx",
        "lang=EN",
        "lang=de-DE",
    ],
)
def test_invalid_parameter_on_news_page_gives_400_with_message(client, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    body = text(response)
    assert "<h1>Bad request</h1>" in body
    message = re.search(r'<p class="error-message">([^<]+)</p>', body)
    assert message and message.group(1).strip()


@pytest.mark.parametrize("listing", LISTINGS)
@pytest.mark.parametrize("query", ["page=abc", "page=-1", "lang=xx"])
def test_invalid_parameter_on_listing_gives_400(client, listing, query):
    response = client.get(f"{listing}?{query}")
    assert response.status_code == 400
    assert "error-message" in text(response)


def test_invalid_language_on_item_page_gives_400(client, session):
    item = make_item(session)
    assert client.get(f"{page_url(item)}?lang=xx").status_code == 400


@pytest.mark.parametrize("param", ["tag", "region", "kind", "lang", "page"])
def test_control_character_in_parameter_gives_400_not_a_server_error(client, param):
    response = client.get(f"/?{param}=a%00b")
    assert response.status_code == 400
    assert "error-message" in text(response)


# --- pagination (page_size is 5) -----------------------------------------------


def test_exactly_one_page_of_items_has_no_next_or_prev_link(client, session):
    for _ in range(5):
        make_item(session)
    body = text(client.get("/"))
    assert len(cards(body)) == 5
    assert rel_link(body, "next") is None
    assert rel_link(body, "prev") is None
    assert client.get("/?page=2").status_code == 404


def test_six_items_make_a_second_page_with_one_item_and_a_prev_link(client, session):
    items = [make_item(session, published_at=past(10 - n)) for n in range(6)]
    first = text(client.get("/"))
    assert len(cards(first)) == 5
    assert rel_link(first, "prev") is None
    assert rel_link(first, "next") == "/?page=2"
    second = text(client.get("/?page=2"))
    assert cards(second) == [page_url(items[0])]  # the oldest
    assert rel_link(second, "next") is None
    assert rel_link(second, "prev") == "/"


@pytest.mark.parametrize(
    "url", ["/?page=3", "/?page=999999", "/press-releases/?page=3"]
)
def test_page_past_the_end_gives_404(client, session, url):
    for _ in range(6):
        make_item(session)
    response = client.get(url)
    assert response.status_code == 404
    assert "error-message" in text(response)


def test_empty_listing_first_page_is_200_but_second_page_404(client):
    assert client.get("/reports/?page=1").status_code == 200
    assert client.get("/reports/?page=2").status_code == 404


def test_news_page_lists_newest_first_across_kinds(client, session, store):
    order = ["event", "report", "press_release", "video", "report", "event"]
    items = [
        make(session, store, kind, published_at=past(days))
        for days, kind in enumerate(order, start=1)
    ]
    expected = [page_url(item) for item in items]
    assert cards(text(client.get("/"))) + cards(text(client.get("/?page=2"))) == (
        expected
    )


@pytest.mark.parametrize("kind", KINDS)
def test_listing_pages_through_its_kind_newest_first(client, session, store, kind):
    items = [make(session, store, kind, published_at=past(days)) for days in range(7)]
    make(session, store, "event" if kind != "event" else "video")  # another kind
    listing = f"/{page_url(items[0]).split('/')[1]}/"
    first, second = text(client.get(listing)), text(client.get(f"{listing}?page=2"))
    assert cards(first) + cards(second) == [page_url(item) for item in items]


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("/?tag=alps", {"tag": ["alps"]}),
        ("/?region=bayern&kind=report", {"region": ["bayern"], "kind": ["report"]}),
        ("/reports/?tag=alps&region=bayern", {"tag": ["alps"], "region": ["bayern"]}),
        ("/?tag=alps&lang=de", {"tag": ["alps"], "lang": ["de"]}),
    ],
)
def test_page_links_keep_the_filters(client, session, store, url, kept):
    for days in range(7):
        make(session, store, "report", tags=["alps"], regions=["bayern"],
             published_at=past(days))  # fmt: skip
        make(session, store, "report", published_at=past(days))  # filtered out
    path = urlsplit(url).path
    next_link = rel_link(text(client.get(url)), "next")
    assert next_link is not None
    assert urlsplit(next_link).path == path
    assert parse_qs(urlsplit(next_link).query) == {**kept, "page": ["2"]}
    second = client.get(next_link)
    assert second.status_code == 200
    assert len(cards(text(second))) == 2
    prev_link = rel_link(text(second), "prev")
    assert prev_link is not None
    assert urlsplit(prev_link).path == path
    assert parse_qs(urlsplit(prev_link).query) == kept
