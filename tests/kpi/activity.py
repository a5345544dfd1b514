"""Known activity around reporting period 4 (2018-05-01 to 2018-10-31, UTC).

Every figure in EXPECTED follows from what ``make_activity`` stores; each comment
says which rows fall in and which fall just outside the period.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from comms.catalogue.models import Newsletter
from comms.deposits.models import ReportDeposit
from comms.kpi import counting
from comms.kpi.counting import record
from comms.kpi.models import VideoSnapshot
from comms.newsletter.models import Delivery, Subscriber
from comms.storage import MediaStore
from tests.factories import make_item, make_report

FIRST = date(2018, 5, 1)
LAST = date(2018, 10, 31)
NEXT = date(2018, 11, 1)
BEFORE = date(2018, 4, 30)


def at(text: str) -> datetime:
    """A UTC time from an ISO string (offsets allowed)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


EXPECTED = {
    "press_releases": 3,
    "reports": 2,
    "report_downloads": 4,
    "deposits": 2,
    "events_held": 2,
    "event_participants": 65,
    "videos": 1,
    "video_views": 800,
    "video_views_total": 1800,
    "newsletter_issues": 1,
    "newsletter_subscribers": 2,
    "newsletter_sends": 250,
    "newsletter_bounces": 4,
    "newsletter_confirmations": 2,
    "newsletter_unsubscribes": 1,
    "feed_fetches": 120,
    "feed_subscribers": 52,
    "page_views": 10,
}


def deposit_versions(session: Session, item_id: int, *times: str) -> None:
    """A report's repository deposit with one published version at each time."""
    versions = [
        {"record_id": str(n), "doi": f"10.5072/zenodo.{n}", "files": {},
         "published_at": at(when).isoformat()}
        for n, when in enumerate(times, start=item_id * 10)
    ]  # fmt: skip
    session.add(
        ReportDeposit(
            item_id=item_id, repository="https://sandbox.zenodo.org",
            state="published", versions=versions, version_count=len(versions),
            published_at=at(times[-1]),
        )
    )  # fmt: skip
    session.commit()


def make_activity(session: Session, store: MediaStore) -> None:
    """Store the outputs, counters, snapshots and subscribers of the scenario."""
    # Press releases: A (first day 00:00, two languages: one output), C (last day
    # 23:30), E (00:30 the next day at +02:00 is 22:30 UTC on the last day) are in;
    # B (a second before), D (next day 00:00) and a draft are out.
    make_item(session, slug="a", translation="a", published_at=at("2018-05-01T00:00"))
    make_item(
        session,
        slug="a-de",
        translation="a",
        language="de",
        published_at=at("2018-06-01T10:00"),
    )
    make_item(session, slug="b", published_at=at("2018-04-30T23:59:59"))
    make_item(session, slug="c", published_at=at("2018-10-31T23:30"))
    make_item(session, slug="d", published_at=at("2018-11-01T00:00"))
    make_item(
        session,
        slug="e",
        published_at=datetime(2018, 11, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
    )
    make_item(session, slug="draft", status="draft", published_at=None)
    # Reports: r1 (a deliverable) and r2 in; r3 out.
    make_report(
        session,
        store,
        slug="r1",
        filename="r1.pdf",
        title="StressTest report: Lombardia",
        deliverable="D.T1.2.1",
        work_package="T1",
        published_at=at("2018-06-15T09:00"),
    )
    r2 = make_report(session, store, slug="r2", published_at=at("2018-07-01T09:00"))
    r3 = make_report(session, store, slug="r3", published_at=at("2019-01-10T09:00"))
    # Deposits (published versions): r2's first version (in) and its second, on the
    # last day at 23:30 (in); r3's, the next day at 00:00 (out).
    deposit_versions(session, r2.id, "2018-07-02T09:00", "2018-10-31T23:30")
    deposit_versions(session, r3.id, "2018-11-01T00:00")
    # Events held: e1 (40) and e2 (25, starts on the last day at 23:30) are in;
    # e3 starts at 00:00 the next day and is out, though published in the period.
    make_item(
        session,
        kind="event",
        slug="e1",
        published_at=at("2018-05-20T09:00"),
        starts_at=at("2018-06-10T09:00"),
        participants=40,
    )
    make_item(
        session,
        kind="event",
        slug="e2",
        published_at=at("2018-03-01T09:00"),
        starts_at=at("2018-10-31T23:30"),
        participants=25,
    )
    make_item(
        session,
        kind="event",
        slug="e3",
        published_at=at("2018-09-01T09:00"),
        starts_at=at("2018-11-01T00:00"),
        participants=100,
    )
    # Videos: v1 published in the period, v2 before it.
    v1 = make_item(
        session, kind="video", slug="v1", published_at=at("2018-05-10T09:00")
    )
    v2 = make_item(
        session, kind="video", slug="v2", published_at=at("2017-01-01T09:00")
    )
    for day, item, views in [
        (BEFORE, v2, 1000),
        (date(2018, 5, 10), v1, 10),
        (LAST, v1, 300),
        (LAST, v2, 1500),
        (NEXT, v1, 999),
    ]:
        session.add(
            VideoSnapshot(day=day, item_id=item.id, views=views, likes=1, comments=0)
        )
    # Newsletter issues: n1 (two languages) in, n2 (next day 00:00) out.
    for slug, lang, when in [
        ("n1", "en", "2018-05-20T08:00"),
        ("n1-de", "de", "2018-05-20T08:00"),
        ("n2", "en", "2018-11-01T00:00"),
    ]:
        session.add(
            Newsletter(
                slug=slug,
                language=lang,
                translation=slug[:2],
                number=1,
                title=f"Newsletter {slug}",
                status="published",
                published_at=at(when),
            )
        )
    # Subscribers: s1 and s3 (confirmed on the last day at 23:30) count at the end;
    # s2 confirmed and left in the period; s4 confirmed the next day; s5 pending.
    subscribers = [
        ("s1", at("2018-01-01T10:00"), None),
        ("s2", at("2018-06-01T10:00"), at("2018-09-01T10:00")),
        ("s3", at("2018-10-31T23:30"), None),
        ("s4", at("2018-11-01T00:00"), None),
        ("s5", None, None),
    ]
    for name, confirmed, left in subscribers:
        session.add(
            Subscriber(
                email=f"{name}@example.org",
                language="en",
                status="unsubscribed"
                if left
                else "confirmed"
                if confirmed
                else "pending",
                confirmed_at=confirmed,
                unsubscribed_at=left,
            )
        )
    session.flush()
    s1 = session.query(Subscriber).filter_by(email="s1@example.org").one()
    # Three deliveries in the table, but 250 sends recorded: the larger counts.
    for n, sub in enumerate(session.query(Subscriber).limit(3)):
        session.add(
            Delivery(
                issue="n1",
                subscriber_id=sub.id,
                status="sent",
                sent_at=at(f"2018-05-2{n}T08:00"),
            )
        )
    assert s1.id
    record(session, counting.NEWSLETTER_SEND, "n1", day=date(2018, 5, 21), amount=250)
    record(session, counting.NEWSLETTER_SEND, "n2", day=NEXT, amount=10)
    record(session, counting.NEWSLETTER_BOUNCE, "n1", day=LAST, amount=4)
    record(session, counting.NEWSLETTER_UNSUBSCRIBE, "", day=date(2018, 9, 1))
    # Page views: r1 7 in (first and last day), 16 out; a 3.
    for day, key, n in [
        (FIRST, "reports/r1", 5),
        (LAST, "reports/r1", 2),
        (NEXT, "reports/r1", 7),
        (BEFORE, "reports/r1", 9),
        (date(2018, 6, 1), "press-releases/a", 3),
    ]:
        record(session, counting.ITEM_VIEW, key, day=day, amount=n)
    record(session, counting.DOWNLOAD, "r1/r1.pdf", day=date(2018, 7, 1), amount=4)
    record(session, counting.DOWNLOAD, "r1/r1.pdf", day=NEXT, amount=1)
    record(session, counting.FEED_FETCH, "/feed.xml", day=FIRST, amount=100)
    record(session, counting.FEED_FETCH, "/feed.atom", day=LAST, amount=20)
    record(session, counting.FEED_FETCH, "/feed.atom", day=NEXT, amount=50)
    # Feed readers: Feedly's latest in the period is 45 (80 is the next day).
    for day, key, n in [
        (date(2018, 6, 1), "Feedly /feed.xml", 40),
        (date(2018, 10, 30), "Feedly /feed.xml", 45),
        (NEXT, "Feedly /feed.xml", 80),
        (date(2018, 5, 2), "Inoreader /feed.xml", 7),
    ]:
        record(session, counting.FEED_SUBSCRIBERS, key, day=day, amount=n)
    session.commit()
