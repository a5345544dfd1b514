"""What every publication does, whichever path made it: admin, schedule, import, sync.

The page and feed caches key on the catalogue version and on the newest publication
time that has come due (``comms.catalogue.stamp``), so they follow by themselves.
What remains is announced here as jobs: a WebSub ping for every feed the items
appear in (the site's, their kind's, their tags' and regions', in the default
language and in theirs) and an evidence snapshot of each item's page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.catalogue.models import Item
from comms.config import Settings
from comms.feeds.service import FeedScope, feed_url
from comms.jobs import queue
from comms.jobs.service import NewJob

FORMATS = ("xml", "atom", "json")
# An item due this long ago or less is announced by the minute's check; older
# ones were announced by the path that published them.
DUE_WINDOW_HOURS = 24


def feed_topics(
    settings: Settings, items: Iterable[Item], default_language: str
) -> list[str]:
    """Every feed URL in which one of ``items`` appears, without repeats."""
    topics: dict[str, None] = {}
    for item in items:
        scopes = [
            FeedScope(),
            FeedScope(kind=item.kind),
            *(FeedScope(tag=tag) for tag in item.tag_names),
            *(FeedScope(region=region) for region in item.region_names),
        ]
        for language in dict.fromkeys((default_language, item.language)):
            for scope in scopes:
                for fmt in FORMATS:
                    url = feed_url(
                        settings.site_url, scope, fmt, language, default_language
                    )
                    topics[url] = None
    return list(topics)


def _stamp(item: Item) -> list[object]:
    when = item.published_at
    return [item.id, when.isoformat() if when else None]


def announce(
    app: Flask,
    session: Session,
    items: Sequence[Item],
    *,
    when: datetime,
    keyed: bool = False,
) -> int:
    """Queue the WebSub pings and page snapshots of ``items``, to run at ``when``.

    ``keyed`` makes the jobs unique per item and publication time, so that the
    minute's check, on every host, announces a due item once.
    Returns the number of jobs queued.
    """
    if not items:
        return 0
    stamps = [_stamp(item) for item in items]
    key = None
    if keyed:
        key = ",".join(f"{item_id}@{at}" for item_id, at in stamps)[:250]
    names = ", ".join(f"{i.kind} {i.slug}.{i.language}" for i in items[:3])
    more = f" and {len(items) - 3} more" if len(items) > 3 else ""
    queued = 0
    for kind, verb in (
        ("websub-ping", "Tell the WebSub hub of"),
        ("snapshot", "Snapshot"),
    ):
        if kind == "websub-ping" and not app.extensions["comms"].settings.websub_hub:
            continue
        job = queue.submit(
            app,
            session,
            NewJob(
                kind,
                {"items": stamps},
                f"{verb} {names}{more}",
                key=f"{kind}:{key}" if key else None,
                run_after=when,
            ),
        )
        queued += job is not None
    return queued


def announce_new(
    app: Flask, session: Session, item_ids: Sequence[int], *, when: datetime
) -> int:
    """Announce the items with these ids that are public at ``when`` (a sync's)."""
    if not item_ids:
        return 0
    items = session.scalars(
        select(Item).where(Item.id.in_(item_ids)).order_by(Item.id)
    ).all()
    return announce(app, session, [i for i in items if i.is_public(when)], when=when)


def still_due(
    session: Session, stamps: list[list[object]], now: datetime
) -> list[Item]:
    """The announced items that are public now and still carry the announced time."""
    found = []
    for item_id, at in stamps:
        item = session.get(Item, item_id)
        if item is None or not item.is_public(now):
            continue
        if at is not None and (
            item.published_at is None or item.published_at.isoformat() != at
        ):
            continue  # rescheduled: the job of the new time announces it
        found.append(item)
    return found


def announce_due(app: Flask, session: Session, now: datetime) -> int:
    """Announce each item whose publication time came due lately (once, keyed)."""
    from datetime import timedelta

    due = session.scalars(
        select(Item)
        .where(
            Item.status == "published",
            Item.published_at <= now,
            Item.published_at > now - timedelta(hours=DUE_WINDOW_HOURS),
        )
        .order_by(Item.id)
    ).all()
    return sum(
        announce(app, session, [item], when=now, keyed=True)
        for item in due
        if item.is_public(now)
    )
