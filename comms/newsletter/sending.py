"""Sending an issue: plan deliveries, then one recorded SMTP transaction each.

Each delivery row goes pending -> sending (committed before the SMTP transaction)
-> sent | deferred | failed (committed after it). A run that dies leaves at most one
row in ``sending``: SMTP cannot tell whether that message arrived. The next run
marks it ``uncertain`` (a record that stays in the row's error text) and, by
default, sends it again: this design errs towards one duplicate, never a missed
subscriber, as the product promises ("reaches everyone, repeating at most the one
message in flight"). ``--skip-uncertain`` errs the other way: such rows stay
``uncertain`` and are counted in the summary.
Memory stays flat: deliveries are planned with one INSERT ... SELECT and read back
in keyset-paged batches.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from comms.catalogue.models import UTCDateTime
from comms.errors import CommsError
from comms.newsletter.audience import (
    EntryKey,
    fallback_language,
    matching_keys,
    select_groups,
)
from comms.newsletter.mail import (
    PREFERENCES_PLACEHOLDER,
    UNSUBSCRIBE_PLACEHOLDER,
    Envelope,
    RenderedIssue,
    Transport,
    build_message,
    classify,
)
from comms.newsletter.models import Delivery, Subscriber
from comms.newsletter.service import KindGroup
from comms.newsletter.tokens import preferences_token, unsubscribe_token

BATCH = 200
MAX_ATTEMPTS = 5  # 4xx answers before a delivery counts as failed
BOUNCE_LIMIT = 3  # 5xx answers (across issues, none delivered between) to suspend


# Core tables: per-message statements skip the ORM's bulk-update bookkeeping.
DELIVERIES = cast(Table, Delivery.__table__)
SUBSCRIBERS = cast(Table, Subscriber.__table__)

# The two statements every message runs, built once (parameters bound per message).
_CLAIM = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.id == bindparam("b_id"),
        DELIVERIES.c.status.in_(("pending", "deferred")),
    )
    .values(
        status="sending",
        attempts=DELIVERIES.c.attempts + 1,
        language=bindparam("b_language"),
        updated_at=bindparam("b_now"),
    )
)
_SENT = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("b_id"))
    .values(
        status="sent",
        sent_at=bindparam("b_now"),
        updated_at=bindparam("b_now"),
        smtp_code=bindparam("b_code"),
        error=None,
    )
)


class SendAborted(CommsError):
    """The run stopped early (connection lost, sender refused); rerun to go on."""


@dataclass
class SendReport:
    """What a run did, for the summary line."""

    issue: str
    planned: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    uncertain: int = 0
    resent: int = 0
    suspended: int = 0
    skipped: int = 0
    unmatched: int = 0
    by_language: Counter[str] = field(default_factory=Counter)

    def summary(self, dry_run: bool = False) -> str:
        """One line for the terminal."""
        if dry_run:
            langs = ", ".join(f"{k} {v}" for k, v in sorted(self.by_language.items()))
            unmatched = (
                f"; {self.unmatched} skipped (nothing matching their topics or regions)"
                if self.unmatched
                else ""
            )
            return (
                f"{self.issue}: dry run, would send {self.planned} messages"
                f"{f' ({langs})' if langs else ''}{unmatched}; "
                "nothing sent or recorded"
            )
        parts = [f"{self.sent} sent"]
        if self.deferred:
            parts.append(f"{self.deferred} deferred (4xx; the next run retries them)")
        if self.failed:
            parts.append(f"{self.failed} failed (5xx)")
        if self.resent:
            parts.append(
                f"{self.resent} resent after an interrupted run (possibly a duplicate)"
            )
        if self.uncertain:
            parts.append(
                f"{self.uncertain} uncertain (in flight when a run stopped; not resent)"
            )
        if self.suspended:
            parts.append(f"{self.suspended} addresses suspended after bounces")
        if self.skipped:
            parts.append(f"{self.skipped} skipped (unsubscribed meanwhile)")
        if self.unmatched:
            parts.append(
                f"{self.unmatched} skipped (nothing matching their topics or regions)"
            )
        return f"{self.issue}: " + ", ".join(parts)


@dataclass(frozen=True)
class Pending:
    """One delivery to make, with what the message needs of its subscriber."""

    delivery_id: int
    subscriber_id: int
    email: str
    key: str
    language: str
    bounce_count: int
    topics: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)


RenderGroups = Callable[[str, list[KindGroup]], RenderedIssue]


@dataclass
class Editions:
    """An issue's mail in each language, cut to each subscriber's choices.

    ``full`` holds each language version with every entry; a subscriber whose
    topics or regions match only some entries gets a copy rendered with just those
    (by ``render``, the same function that rendered ``full``), once per language
    and set of entries.
    """

    full: dict[str, RenderedIssue]  # by language, every entry
    groups: dict[str, list[KindGroup]]  # by language
    render: RenderGroups
    default_language: str
    _cache: dict[tuple[str, frozenset[EntryKey]], RenderedIssue] = field(
        default_factory=dict
    )

    def choose(
        self, language: str, topics: list[str], regions: list[str]
    ) -> tuple[str, frozenset[EntryKey]] | None:
        """The version's language and the entries this subscriber gets, or None
        when no entry matches (the subscriber is not sent the issue)."""
        version = fallback_language(self.full, language, self.default_language)
        groups = self.groups.get(version, [])
        every = matching_keys(groups, (), ())
        if not every or (not topics and not regions):
            return version, every
        keys = matching_keys(groups, topics, regions)
        return (version, keys) if keys else None

    def pick(
        self, language: str, topics: list[str], regions: list[str]
    ) -> RenderedIssue | None:
        """The mail this subscriber gets (None: nothing matches their choices)."""
        chosen = self.choose(language, topics, regions)
        if chosen is None:
            return None
        version, keys = chosen
        if keys == matching_keys(self.groups.get(version, []), (), ()):
            return self.full[version]
        cached = self._cache.get(chosen)
        if cached is None:
            cached = self.render(version, select_groups(self.groups[version], keys))
            self._cache[chosen] = cached
        return cached


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Mailing:
    """One issue on its way: what each subscriber gets, and how it leaves.

    Fixed for a whole run, so the loop and each delivery share one value instead
    of a long argument list.
    """

    issue: str  # the translation key every language version of the issue shares
    editions: Editions
    transport: Transport
    envelope: Envelope
    rate: float  # messages a second
    clock: Callable[[], datetime] = _utcnow


def _deliverable() -> object:
    return and_(
        Subscriber.id == Delivery.subscriber_id, Subscriber.status == "confirmed"
    )


def plan(session: Session, issue: str, *, now: datetime) -> int:
    """Add a pending delivery for every confirmed subscriber without one; commit."""
    already = exists().where(
        Delivery.issue == issue, Delivery.subscriber_id == Subscriber.id
    )
    source = select(
        literal(issue),
        Subscriber.id,
        literal("pending"),
        literal(0),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    ).where(Subscriber.status == "confirmed", ~already)
    result = session.execute(
        insert(Delivery).from_select(
            [
                "issue",
                "subscriber_id",
                "status",
                "attempts",
                "created_at",
                "updated_at",
            ],
            source,
        )
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def recover(session: Session, issue: str, *, now: datetime, resend: bool) -> int:
    """Mark rows left in flight uncertain, requeue them if ``resend``; skip leavers.

    Returns how many uncertain rows were queued to be sent again.
    """
    session.execute(
        update(Delivery)
        .where(Delivery.issue == issue, Delivery.status == "sending")
        .values(
            status="uncertain",
            updated_at=now,
            error="uncertain: in flight when a run died",
        )
    )
    requeued = 0
    if resend:
        result = session.execute(
            update(Delivery)
            .where(Delivery.issue == issue, Delivery.status == "uncertain")
            .values(status="pending", updated_at=now)
        )
        requeued = int(result.rowcount or 0)  # type: ignore[attr-defined]
    gone = ~exists().where(
        Subscriber.id == Delivery.subscriber_id, Subscriber.status == "confirmed"
    )
    session.execute(
        update(Delivery)
        .where(
            Delivery.issue == issue,
            Delivery.status.in_(("pending", "deferred")),
            gone,
        )
        .values(status="skipped", updated_at=now)
    )
    session.commit()
    return requeued


def count_open(session: Session, issue: str) -> int:
    """How many deliveries of the issue are still to be tried."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.issue == issue, Delivery.status.in_(("pending", "deferred"))
            )
        )
        or 0
    )


def count_status(session: Session, issue: str) -> Counter[str]:
    """How many deliveries of the issue are in each status."""
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.issue == issue)
        .group_by(Delivery.status)
    )
    return Counter({str(status): int(n) for status, n in rows})


def open_deliveries(
    session: Session, issue: str, statuses: tuple[str, ...]
) -> Iterator[Pending]:
    """The deliveries still to make, read in batches by id (memory stays flat)."""
    last = 0
    while True:
        rows = session.execute(
            select(
                Delivery.id,
                Subscriber.id,
                Subscriber.email,
                Subscriber.key,
                Subscriber.language,
                Subscriber.bounce_count,
                Subscriber.topics,
                Subscriber.regions,
            )
            .join(Subscriber, _deliverable())  # type: ignore[arg-type]
            .where(
                Delivery.issue == issue,
                Delivery.status.in_(statuses),
                Delivery.id > last,
            )
            .order_by(Delivery.id)
            .limit(BATCH)
        ).all()
        session.commit()  # end the read (and record the last outcome) now
        if not rows:
            return
        for row in rows:
            yield Pending(*row[:6], list(row[6] or []), list(row[7] or []))
        last = rows[-1][0]


class Pacer:
    """Keeps sending at or under ``rate`` messages per second."""

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self.next_at = clock()

    def due_in(self) -> float:
        """Seconds until the next message may go (0 when it may go now)."""
        return max(self.next_at - self.clock(), 0.0)

    def wait(self) -> None:
        """Sleep until the next message may go."""
        now = self.clock()
        if self.next_at > now:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = max(self.next_at, now) + self.interval


def preferences_url(envelope: Envelope, key: str, language: str) -> str:
    """A subscriber's own link to their preferences page, in their language."""
    token = preferences_token(envelope.secret, key)
    return f"{envelope.site_url}/newsletter/preferences/{token}?lang={language}"


def personal_message(
    issue: RenderedIssue,
    envelope: Envelope,
    to: str,
    key: str,
    date: datetime,
    language: str | None = None,
) -> bytes:
    """The issue's mail for one subscriber, with their own unsubscribe and
    preferences links (the page in ``language``, else the mail's)."""
    token = unsubscribe_token(envelope.secret, key)
    url = f"{envelope.site_url}/newsletter/unsubscribe/{token}"
    prefs = preferences_url(envelope, key, language or issue.language)

    def personal(body: str) -> str:
        return body.replace(UNSUBSCRIBE_PLACEHOLDER, url).replace(
            PREFERENCES_PLACEHOLDER, prefs
        )

    return build_message(
        subject=issue.subject,
        text=personal(issue.text),
        html=personal(issue.html),
        envelope=envelope,
        to=to,
        date=date,
        unsubscribe_url=url,
        language=issue.language,
    )


def dry_run(session: Session, issue: str, editions: Editions) -> SendReport:
    """Count who a real run would mail, in which language; change nothing."""
    report = SendReport(issue=issue)
    done = exists().where(
        Delivery.issue == issue,
        Delivery.subscriber_id == Subscriber.id,
        Delivery.status.not_in(("pending", "deferred")),
    )
    rows = session.execute(
        select(Subscriber.language, Subscriber.topics, Subscriber.regions).where(
            Subscriber.status == "confirmed", ~done
        )
    )
    for language, topics, regions in rows:
        chosen = editions.choose(str(language), topics or [], regions or [])
        if chosen is None:
            report.unmatched += 1
        else:
            report.by_language[chosen[0]] += 1
    report.planned = sum(report.by_language.values())
    return report


def send_issue(
    session: Session,
    mailing: Mailing,
    *,
    resend_uncertain: bool = True,
    retry_passes: int = 1,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> SendReport:
    """Send the issue to every confirmed subscriber not yet reached; safe to rerun."""
    issue, clock = mailing.issue, mailing.clock
    report = SendReport(issue=issue)
    report.planned = plan(session, issue, now=clock())
    report.resent = recover(session, issue, now=clock(), resend=resend_uncertain)
    if on_start is not None:
        on_start(count_open(session, issue))
    pacer = Pacer(mailing.rate)
    statuses: tuple[str, ...] = ("pending", "deferred")
    try:
        for pass_number in range(retry_passes + 1):
            deferred_before = report.deferred
            for pending in open_deliveries(session, issue, statuses):
                edition = mailing.editions.pick(
                    pending.language, pending.topics, pending.regions
                )
                if edition is None:
                    _skip_unmatched(session, pending, clock(), report)
                    if progress is not None and pass_number == 0:
                        progress(1)
                    continue
                if pacer.due_in() > 0 and session.in_transaction():
                    # Record the last outcome before sleeping: an open write
                    # would hold SQLite's lock (and the job's heartbeat) meanwhile.
                    session.commit()
                pacer.wait()
                _deliver_one(session, mailing, pending, edition, report)
                if progress is not None and pass_number == 0:
                    progress(1)
            if report.deferred == deferred_before:
                break
            statuses = ("deferred",)
    finally:
        if session.in_transaction():
            session.commit()  # the last outcome
    final = count_status(session, issue)
    report.deferred = final["deferred"]
    report.uncertain = final["uncertain"]
    report.skipped = final["skipped"]
    report.unmatched = final["unmatched"]
    return report


def _skip_unmatched(
    session: Session, pending: Pending, now: datetime, report: SendReport
) -> None:
    """Record that nothing in the issue matches this subscriber's choices."""
    skipped = session.execute(
        update(DELIVERIES)
        .where(
            DELIVERIES.c.id == pending.delivery_id,
            DELIVERIES.c.status.in_(("pending", "deferred")),
        )
        .values(status="unmatched", updated_at=now, error=None)
    )
    report.unmatched += int(skipped.rowcount or 0)  # type: ignore[attr-defined]


def _deliver_one(
    session: Session,
    mailing: Mailing,
    pending: Pending,
    issue: RenderedIssue,
    report: SendReport,
) -> None:
    transport, envelope, clock = mailing.transport, mailing.envelope, mailing.clock
    transport.connect()  # fails before the claim: the row stays pending
    now = clock()
    message = personal_message(
        issue, envelope, pending.email, pending.key, now, pending.language
    )
    claimed = session.connection().execute(
        _CLAIM,
        {"b_id": pending.delivery_id, "b_language": issue.language, "b_now": now},
    )
    session.commit()  # also records the previous message's outcome
    if not claimed.rowcount:
        return  # another run took it
    error: BaseException | None = None
    try:
        transport.send(envelope.address, pending.email, message)
    except Exception as exc:  # noqa: BLE001 - classified below, never swallowed blindly
        error = exc
    outcome = classify(error)
    now = clock()
    d, s = DELIVERIES.c, SUBSCRIBERS.c
    values: dict[str, object] = {
        "updated_at": now,
        "smtp_code": outcome.code,
        "error": outcome.error,
    }
    row = update(DELIVERIES).where(d.id == pending.delivery_id)
    subscriber = update(SUBSCRIBERS).where(s.id == pending.subscriber_id)
    if outcome.status == "sent":
        session.connection().execute(
            _SENT,
            {"b_id": pending.delivery_id, "b_now": now, "b_code": outcome.code},
        )
        if pending.bounce_count:
            session.execute(subscriber.values(bounce_count=0))
        report.sent += 1
    elif outcome.status == "deferred":
        attempts = session.scalar(select(d.attempts).where(d.id == pending.delivery_id))
        status = "failed" if (attempts or 0) >= MAX_ATTEMPTS else "deferred"
        session.execute(row.values(status=status, **values))
        if status == "failed":
            report.failed += 1
        else:
            report.deferred += 1
    elif outcome.status == "failed":
        session.execute(row.values(status="failed", **values))
        session.execute(subscriber.values(bounce_count=s.bounce_count + 1))
        suspended = session.execute(
            subscriber.where(
                s.bounce_count >= BOUNCE_LIMIT, s.status == "confirmed"
            ).values(status="suspended")
        )
        report.failed += 1
        report.suspended += int(suspended.rowcount or 0)  # type: ignore[attr-defined]
    elif outcome.status == "refused_sender":
        # MAIL FROM was refused: nothing reached the recipient; try again later.
        session.execute(row.values(status="pending", **values))
        session.commit()
        raise SendAborted(
            f"the mail server refused the sender address ({outcome.error}); "
            "check COMMS_MAIL_FROM and run the command again"
        )
    else:
        session.execute(row.values(status="uncertain", **values))
        session.commit()
        raise SendAborted(
            f"the connection to the mail server failed mid-message ({outcome.error}); "
            f"{report.sent} sent in this run; run the command again to go on"
        )
    # The outcome is committed together with the next claim, before a pause of
    # the pacer, or at the end of the run: one commit a message when unthrottled,
    # and still at most one row in flight at a kill.
