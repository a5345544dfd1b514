"""The catalogue version stamp that page and feed caches key on."""

from __future__ import annotations

from comms.catalogue.content_files import import_tree
from comms.catalogue.stamp import _WINDOW, cache_key
from tests.catalogue.test_content_files import GOOD
from tests.factories import future, make_item, past, write_content
from tests.plans import sqlite_plans


def test_import_bumps_the_stamp_and_a_noop_import_does_not(session, store, content_dir):
    write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    now = past(0)
    start = cache_key(session, now)
    import_tree(session, store, content_dir)
    session.commit()
    after_import = cache_key(session, now)
    assert after_import != start
    import_tree(session, store, content_dir)
    session.commit()
    assert cache_key(session, now) == after_import


def test_edit_bumps_the_stamp(session):
    item = make_item(session)
    before = cache_key(session, past(0))
    item.title = "Edited"
    session.commit()
    assert cache_key(session, past(0)) != before


def test_scheduled_time_changes_the_key_without_any_edit(session):
    make_item(session, published_at=future(1))
    today = cache_key(session, past(0))
    assert cache_key(session, future(2)) != today


def _window(session, now):
    _version, due, upcoming = session.execute(_WINDOW, {"now": now}).one()
    return due, upcoming


def test_the_window_runs_from_the_last_time_due_to_the_next(session):
    """What the public sees moves without an edit when an item comes due or an
    event is over (by its end, else its start); drafts move nothing."""
    published, ends, starts, scheduled = past(1), future(1), future(2), future(3)
    make_item(session, published_at=published)
    make_item(session, slug="later", published_at=scheduled)
    make_item(session, slug="draft", status="draft", published_at=future(0.5))
    make_item(
        session, kind="event", slug="ends", starts_at=past(0.1), ends_at=ends,
        published_at=past(2),
    )  # fmt: skip
    make_item(
        session, kind="event", slug="starts", starts_at=starts, published_at=past(2)
    )
    make_item(
        session, kind="event", slug="draft-event", status="draft",
        starts_at=future(0.2), ends_at=future(0.4),
    )  # fmt: skip
    assert _window(session, past(0)) == (published, ends)
    assert _window(session, future(1.5)) == (ends, starts)
    assert _window(session, future(2.5)) == (starts, scheduled)
    assert _window(session, future(4)) == (scheduled, None)


def test_the_window_is_read_from_indexes(session):
    """Each time is an index probe on SQLite: a list of statuses made each a sort
    of every public row, and nested CASEs ran them again and again (100 ms at
    100,000 items)."""
    make_item(session, kind="event", slug="ends", starts_at=past(1), ends_at=future(1))
    connection = session.connection()
    with sqlite_plans(connection) as statements:
        assert _window(session, past(0))[1] is not None
    if connection.dialect.name == "sqlite":
        (plan,) = statements
        plans = plan.split(" | ")
        shown = "\n".join(plans)
        on_items = [line for line in plans if " item " in f"{line} "]
        # an item and an event's end, else start, by status, either way in time
        assert len(on_items) == 12, shown
        assert all(line.startswith("SEARCH item USING") for line in on_items), shown
        for line, after in zip(plans, plans[1:], strict=False):
            assert not (line in on_items and "TEMP B-TREE" in after), shown
