"""Public pages render from a handful of SQL queries, whatever the catalogue size."""

from __future__ import annotations

import pytest
from sqlalchemy import event

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
    # 4 to render (items; tags, regions, files in one IN query each) + 2 for the
    # cache stamp, + 1 after a change: the keys it stamped, read once per change;
    # a cached page costs the 2 stamp queries alone.
    assert small <= large <= small + 1
    assert large <= 7
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
