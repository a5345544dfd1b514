"""The delivery report of an issue: what became of each subscriber's copy.

A delivery's stored status is the sender's bookkeeping (``sending.py``); the report
puts it in an officer's words. A ``failed`` row with a 5xx answer is *bounced*
(the recipient's server refused the address); one that gave up after repeated 4xx
answers is *failed*. Rows still ``pending``, ``deferred`` or ``sending`` are
*waiting*.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from comms.newsletter.models import Delivery, Subscriber

# Report status -> what the admin calls it, in the order the report lists them.
LABELS = {
    "sent": "Sent",
    "bounced": "Bounced",
    "failed": "Failed",
    "uncertain": "Uncertain",
    "waiting": "Waiting",
    "skipped": "Skipped: unsubscribed meanwhile",
    "unmatched": "Skipped: nothing matching",
}
# Problems first in the per-recipient table.
_ORDER = ("bounced", "failed", "uncertain", "waiting", "sent", "unmatched", "skipped")
ROW_LIMIT = 500


@dataclass(frozen=True)
class RecipientRow:
    """One subscriber's copy of the issue, as the report lists it."""

    email: str
    language: str | None
    status: str  # a key of LABELS
    error: str | None
    sent_at: datetime | None

    @property
    def label(self) -> str:
        """The status in the admin's words."""
        return LABELS[self.status]


@dataclass(frozen=True)
class DeliveryReport:
    """Counts by report status and the first ROW_LIMIT recipients, problems first."""

    counts: Counter[str]
    rows: list[RecipientRow]

    @property
    def total(self) -> int:
        """Every delivery recorded for the issue."""
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """Deliveries no longer waiting to be tried."""
        return self.total - self.counts["waiting"]

    @property
    def hidden(self) -> int:
        """Recipients left out of the table (over ROW_LIMIT)."""
        return max(self.total - len(self.rows), 0)


def report_status(status: str, smtp_code: int | None) -> str:
    """A stored delivery status (and SMTP code) as the report's status."""
    if status == "failed":
        return "bounced" if smtp_code is not None and smtp_code >= 500 else "failed"
    if status in ("pending", "deferred", "sending"):
        return "waiting"
    return status


def delivery_report(
    session: Session, issue: str, limit: int = ROW_LIMIT
) -> DeliveryReport:
    """The report of ``issue`` (a translation group)."""
    counts: Counter[str] = Counter()
    for status, code, n in session.execute(
        select(Delivery.status, Delivery.smtp_code, func.count())
        .where(Delivery.issue == issue)
        .group_by(Delivery.status, Delivery.smtp_code)
    ):
        counts[report_status(str(status), code)] += int(n)
    rank = case(
        (Delivery.status == "failed", 0),
        (Delivery.status == "uncertain", 1),
        (Delivery.status.in_(("pending", "deferred", "sending")), 2),
        (Delivery.status == "sent", 3),
        else_=4,
    )
    rows = [
        RecipientRow(
            email=str(email),
            language=language,
            status=report_status(str(status), code),
            error=error,
            sent_at=sent_at,
        )
        for email, language, status, code, error, sent_at in session.execute(
            select(
                Subscriber.email,
                Delivery.language,
                Delivery.status,
                Delivery.smtp_code,
                Delivery.error,
                Delivery.sent_at,
            )
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(Delivery.issue == issue)
            .order_by(rank, Delivery.id)
            .limit(limit)
        )
    ]
    rows.sort(key=lambda r: _ORDER.index(r.status))
    return DeliveryReport(counts=counts, rows=rows)
