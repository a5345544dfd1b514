"""Page snapshots: a timestamped copy of each published or changed item's page."""

from __future__ import annotations

import hashlib

from comms.cli import run_import
from comms.jobs.queue import wait_idle
from comms.kpi import counting
from comms.kpi.evidence import snapshot_item, snapshots_of
from comms.kpi.models import PageSnapshot
from tests.factories import future, make_item, write_content
from tests.kpi.helpers import counts

RELEASE = """---
title: First results
published_at: 2018-05-15T09:00:00Z
---
{body}
"""


def test_import_snapshots_new_and_changed_items_only(app, session, content_dir):
    write_content(
        content_dir, "press-releases/first.en.md", RELEASE.format(body="One.")
    )
    write_content(
        content_dir, "press-releases/second.en.md", RELEASE.format(body="Two.")
    )
    run_import(app, content_dir, keep_going=False)
    assert wait_idle(app, 30)
    assert session.query(PageSnapshot).count() == 2
    run_import(app, content_dir, keep_going=False)
    assert wait_idle(app, 30)
    assert session.query(PageSnapshot).count() == 2  # nothing changed
    write_content(
        content_dir, "press-releases/first.en.md", RELEASE.format(body="New.")
    )
    run_import(app, content_dir, keep_going=False)
    assert wait_idle(app, 30)
    session.expire_all()
    first = session.query(PageSnapshot).filter_by(url="/press-releases/first/").all()
    assert len(first) == 2
    assert "New." in first[-1].html and "One." in first[0].html


def test_snapshot_keeps_the_funding_acknowledgement_and_its_hash(app, session):
    item = make_item(session, slug="launch", title="Launch")
    snapshot = snapshot_item(app, session, item)
    session.commit()
    assert snapshot is not None
    assert "Co-funded by the European Union" in snapshot.html
    assert "Launch" in snapshot.html
    assert snapshot.sha256 == hashlib.sha256(snapshot.html.encode()).hexdigest()
    assert snapshot.taken_at.tzinfo is not None
    assert snapshot_item(app, session, item) is None  # unchanged page: no copy
    assert [s.id for s in snapshots_of(session, item.id)] == [snapshot.id]


def test_unpublished_item_gets_no_snapshot_and_snapshots_are_not_visits(app, session):
    scheduled = make_item(session, slug="later", published_at=future(3))
    assert snapshot_item(app, session, scheduled) is None
    public = make_item(session, slug="now")
    assert snapshot_item(app, session, public) is not None
    session.commit()
    assert counts(session, counting.ITEM_VIEW) == {}
