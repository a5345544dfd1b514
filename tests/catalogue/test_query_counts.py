"""Public pages render from a handful of SQL queries, whatever the catalogue size."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from comms.catalogue import service as catalogue_service
from tests.factories import make_item, make_report
from tests.plans import sqlite_plans

PAGES = ["/", "/reports/", "/?tag=clusters", "/press-releases/?region=bayern"]


def _count(app, client, url):
    seen = []
    engine = app.extensions["comms"].engine

    def on_execute(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return len(seen)


def _fill(session, store, n):
    for i in range(n):
        make_item(session, tags=["clusters"], regions=["bayern"], commit=False)
        if i % 3 == 0:
            make_report(session, store, tags=["clusters"])
    session.commit()


@pytest.mark.parametrize("url", PAGES)
def test_listing_query_count_does_not_grow_with_catalogue(
    app, client, session, store, url
):
    _fill(session, store, 3)
    small = _count(app, client, url)
    _fill(session, store, 30)
    large = _count(app, client, url)
    # 4 to render (items; tags, regions, files in one IN query each), + 1 to
    # count the items carrying a topic or region (up to FEW_CARRIERS), + 2 for
    # the cache stamp, + 1 after a change: the keys it stamped, read once per
    # change; a cached page costs the 2 stamp queries alone.
    assert small <= large <= small + 1
    assert large <= (8 if "=" in url else 7)
    assert _count(app, client, url) <= 2


def test_item_page_needs_at_most_ten_queries_and_two_when_cached(
    app, client, session, store
):
    report = make_report(session, store, tags=["clusters"], regions=["bayern"])
    assert _count(app, client, f"/reports/{report.slug}/") <= 10
    assert _count(app, client, f"/reports/{report.slug}/") <= 2


def test_an_item_page_with_related_reports_reads_its_rows_in_a_few_statements(
    app, client, session, store
):
    for _ in range(6):
        make_item(session, tags=["clusters"], regions=["bayern"], commit=False)
        make_report(session, store, tags=["clusters"], regions=["bayern"])
    session.commit()
    report = make_report(session, store, tags=["clusters"], regions=["bayern"])
    # the item, its versions and their tags, regions and files: one statement;
    # the related items with their files: one (two when the first look falls
    # short); the cache stamp: 2, + 1 after a change. A statement per collection
    # (tags, regions, files of the page, files of the related items) made it 9-10.
    assert _count(app, client, f"/reports/{report.slug}/") <= 6


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_item_page_is_looked_up_by_its_slug_before_any_analyze(
    app, client, session, store
):
    # SQLite without statistics (no ANALYZE has run on a new site's database)
    # chose the status-and-date index and read every public item of the kind.
    for _ in range(5):
        make_report(session, store, tags=["clusters"])
    report = make_report(session, store, tags=["clusters"])
    engine = app.extensions["comms"].engine
    with sqlite_plans(
        engine, lambda sql: sql.startswith("SELECT item.id") and "JOIN item_tag" in sql
    ) as plans:
        assert client.get(f"/reports/{report.slug}/").status_code == 200
    assert len(plans) == 1, plans
    assert "ix_item_kind_public" not in plans[0]
    assert "(kind=? AND translation=?)" in plans[0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_topic_few_items_carry_is_listed_from_its_index(
    app, client, session, monkeypatch
):
    """A listing walks the public items newest first until its page is full: for
    a topic few items carry, that walked the whole catalogue (160 ms at 100,000
    items). Those items are read from the topic's index instead; a topic many
    carry is still walked (its page fills soon)."""
    monkeypatch.setattr(catalogue_service, "FEW_CARRIERS", 2)
    common = [make_item(session, tags=["common"], commit=False) for _ in range(3)]
    rare = make_item(session, tags=["rare"], regions=["tirol"], commit=False)
    session.commit()
    engine = app.extensions["comms"].engine
    pages = {}
    with sqlite_plans(
        engine,
        lambda sql: (
            sql.startswith("SELECT item.id")
            and "ORDER BY item.published_at DESC" in sql
        ),
    ) as plans:
        for url in ("/topics/rare/", "/topics/common/", "/regions/tirol/"):
            response = client.get(url)
            assert response.status_code == 200
            pages[url] = response.get_data(as_text=True)
    assert len(plans) == 3, plans
    for plan in (plans[0], plans[2]):
        assert "USING INTEGER PRIMARY KEY" in plan, plan
        assert "ix_item_public" not in plan, plan
    assert "ix_item_tag_name" in plans[0] and "ix_item_region_name" in plans[2]
    assert "ix_item_public" in plans[1], plans[1]
    for url in ("/topics/rare/", "/regions/tirol/"):
        assert f"/{rare.slug}/" in pages[url]
        assert all(f"/{item.slug}/" not in pages[url] for item in common)
    assert all(f"/{item.slug}/" in pages["/topics/common/"] for item in common)
