"""The catalogue version stamp that page and feed caches key on."""

from __future__ import annotations

from comms.catalogue.content_files import import_tree
from comms.catalogue.stamp import cache_key
from tests.catalogue.test_content_files import GOOD
from tests.factories import future, make_item, past, write_content


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
