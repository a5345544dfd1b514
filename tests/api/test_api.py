"""/api/v1: listing filters, cursors, items, tags, regions, newsletters, HTTP rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import jsonschema_rs
import pytest

from comms import create_app
from comms.api.openapi import document
from comms.catalogue.models import Newsletter, NewsletterEntry
from comms.db import init_db
from tests.factories import future, make_item, make_report, past


def error_schema(app):
    state = app.extensions["comms"]
    doc = document(state.site, state.settings.site_url)
    return {**doc["components"]["schemas"]["Error"], "components": doc["components"]}


def assert_error(app, response, status):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    jsonschema_rs.validate(error_schema(app), response.get_json())
    assert response.get_json()["error"]["status"] == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_items_walk_every_public_item_once_by_cursor(client, session):
    base = past(10)
    made = [
        make_item(session, published_at=base + timedelta(hours=n)) for n in range(7)
    ]
    make_item(session, slug="same-time-a", published_at=base)  # a tie on published_at
    make_item(session, slug="scheduled", published_at=future(1))
    make_item(session, slug="draft", status="draft")
    seen, cursor = [], None
    while True:
        response = client.get(
            "/api/v1/items",
            query_string={"limit": 3, **({"cursor": cursor} if cursor else {})},
        )
        assert response.status_code == 200
        body = response.get_json()
        seen += [i["slug"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    expected = [i.slug for i in reversed(made[1:])]
    assert seen[:6] == expected
    assert sorted(seen[6:]) == sorted(["same-time-a", made[0].slug])
    assert len(seen) == 8


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "report"}, {"r"}),
        ({"kind": "reports"}, {"r"}),
        ({"tag": "energy"}, {"p"}),
        ({"region": "bayern"}, {"r"}),
        ({"lang": "de"}, {"p-de", "r"}),
        ({}, {"p", "r"}),
    ],
)
def test_items_filter_like_the_site(client, session, store, query, expected):
    make_item(session, slug="p", translation="p", tags=["energy"])
    make_item(session, slug="p-de", translation="p", language="de", tags=["energy"])
    make_report(session, store, slug="r", regions=["bayern"])
    body = client.get("/api/v1/items", query_string=query).get_json()
    assert {i["slug"] for i in body["items"]} == expected


def test_item_detail_by_singular_or_plural_kind(client, session, store):
    make_report(session, store, slug="policy", filename="policy.pdf", deliverable="D1")
    for kind in ("report", "reports"):
        data = client.get(f"/api/v1/items/{kind}/policy").get_json()
        assert data["kind"] == "report" and data["deliverable"] == "D1"
        assert data["files"][0]["url"].endswith("/reports/policy/files/policy.pdf")
        assert data["url"].endswith("/reports/policy/")
        assert "body_html" in data and data["versions"][0]["slug"] == "policy"


def test_item_detail_picks_the_language_version(client, session):
    make_item(session, slug="hello", translation="hello")
    make_item(session, slug="hello", translation="hello", language="de", title="Hallo")
    assert (
        client.get("/api/v1/items/press_release/hello?lang=de").get_json()["title"]
        == "Hallo"
    )
    assert (
        client.get("/api/v1/items/press_release/hello").get_json()["language"] == "en"
    )


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/items/report/missing", 404),
        ("/api/v1/items/thing/x", 400),
        ("/api/v1/items?limit=0", 400),
        ("/api/v1/items?limit=101", 400),
        ("/api/v1/items?cursor=bm90IGEgY3Vyc29y", 400),
        ("/api/v1/items?lang=xx", 400),
        ("/api/v1/nothing", 404),
    ],
)
def test_errors_are_json_in_the_documented_shape(app, client, url, status):
    assert_error(app, client.get(url), status)


def test_scheduled_item_is_not_found(app, client, session):
    make_item(session, slug="later", published_at=future(2))
    assert_error(app, client.get("/api/v1/items/press_release/later"), 404)


def test_post_is_refused_with_json(app, client):
    response = client.post("/api/v1/items")
    assert_error(app, response, 405)
    assert "GET" in response.headers["Allow"]


def test_etag_gives_304_when_nothing_changed(client, session):
    make_item(session)
    first = client.get("/api/v1/items")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/items", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_item(session)
    changed = client.get("/api/v1/items", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_cors_allows_any_origin_and_answers_the_preflight(client):
    response = client.get("/api/v1/tags", headers={"Origin": "https://partner.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/api/v1/items",
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "If-None-Match"


def test_rate_limit_answers_429_with_retry_after(settings):
    app = create_app(replace(settings, api_rate_limit=2))
    try:
        init_db(app.extensions["comms"].engine)
        client = app.test_client()
        assert client.get("/api/v1/tags").status_code == 200
        assert client.get("/api/v1/tags").headers["X-RateLimit-Remaining"] == "0"
        refused = client.get("/api/v1/tags")
        assert_error(app, refused, 429)
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        other = client.get("/api/v1/tags", environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 200
    finally:
        app.extensions["comms"].engine.dispose()


def test_tags_regions_and_newsletters(client, session):
    make_item(session, kind="report", slug="r")
    make_item(session, tags=["energy", "clusters"], regions=["bayern"])
    make_item(session, tags=["energy"])
    make_item(session, tags=["hidden"], status="draft")
    letter = Newsletter(
        slug="n1", language="en", translation="n1", number=1, title="Issue 1",
        status="published", published_at=past(1),
    )  # fmt: skip
    letter.entries = [NewsletterEntry(position=0, kind="report", slug="r")]
    session.add(letter)
    session.add(
        Newsletter(slug="n2", language="en", translation="n2", title="Later",
                   status="published", published_at=future(1))
    )  # fmt: skip
    session.commit()
    assert client.get("/api/v1/tags").get_json() == {
        "tags": [{"name": "clusters", "items": 1}, {"name": "energy", "items": 2}]
    }
    regions = {
        r["slug"]: r for r in client.get("/api/v1/regions").get_json()["regions"]
    }
    assert regions["bayern"] == {"slug": "bayern", "name": "Bayern", "items": 1}
    assert regions["lombardia"]["items"] == 0
    [issue] = client.get("/api/v1/newsletters").get_json()["newsletters"]
    assert issue["slug"] == "n1" and issue["items"] == [{"kind": "report", "slug": "r"}]
    assert issue["url"].endswith("/newsletter/n1/")


def test_newsletters_name_only_items_public_now(client, session):
    make_item(session, slug="online")
    make_item(session, slug="draft-plan", status="draft")
    make_item(session, slug="next-year", published_at=future(365))
    make_item(session, slug="withdrawn", status="archived", published_at=past(9))
    letter = Newsletter(
        slug="n1", language="en", translation="n1", number=1, title="Issue 1",
        status="published", published_at=past(1),
    )  # fmt: skip
    letter.entries = [
        NewsletterEntry(position=i, kind="press_release", slug=slug)
        for i, slug in enumerate(
            ["draft-plan", "online", "next-year", "withdrawn", "erased"]
        )
    ]
    session.add(letter)
    session.commit()
    answer = client.get("/api/v1/newsletters")
    assert answer.status_code == 200
    [issue] = answer.get_json()["newsletters"]
    assert issue["items"] == [{"kind": "press_release", "slug": "online"}]
    for hidden in ("draft-plan", "next-year", "withdrawn", "erased"):
        assert hidden not in answer.text


def test_openapi_document_is_openapi_3_1(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) == {
        "/items",
        "/items/{kind}/{slug}",
        "/tags",
        "/regions",
        "/newsletters",
        "/openapi.json",
    }
    lang = next(
        p for p in doc["paths"]["/items"]["get"]["parameters"] if p["name"] == "lang"
    )
    assert lang["schema"]["enum"] == ["en", "de", "fr", "it", "sl"]
