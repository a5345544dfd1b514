"""Subscriber CSV import and export (columns email,language,confirmed_at,source).

Cells that a spreadsheet would run as a formula are written with a leading quote
(comms.csv_cells) and read back without it.
"""

from __future__ import annotations

import csv
import smtplib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.csv_cells import neutralise_row, restore
from comms.errors import ValidationFailed
from comms.newsletter.models import Consent, Subscriber
from comms.text import normalise_email

COLUMNS = ("email", "language", "confirmed_at", "source")


@dataclass(frozen=True)
class ImportRow:
    """One checked row of a subscriber CSV."""

    email: str
    language: str
    confirmed_at: datetime | None
    source: str
    line: int = 0  # where it stands in the file (0: not from a file)


@dataclass
class ImportReport:
    """What an import did; ``to_confirm`` are new, unconfirmed subscribers' ids."""

    created: int = 0
    confirmed: int = 0
    skipped: int = 0
    to_confirm: list[int] = field(default_factory=list)


def _timestamp(raw: str) -> datetime:
    value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class CheckedCsv:
    """A subscriber CSV read row by row: the good rows and each bad one's reason."""

    rows: list[ImportRow]
    problems: list[str]  # "line N: reason", in file order


def check_rows(
    lines: Iterable[str], *, languages: tuple[str, ...], default_language: str
) -> CheckedCsv:
    """Check every row, keeping the good ones and naming each bad one by line.

    A header without an ``email`` column, or with unknown columns, makes the whole
    file bad: ValidationFailed. Addresses go through ``normalise_email``, the
    sign-up form's check.
    """
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise ValidationFailed([f"line 1: not a readable CSV header ({exc})"]) from None
    if "email" not in header:
        raise ValidationFailed(["line 1: the header must name an 'email' column"])
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ValidationFailed(
            [f"line 1: unknown columns {', '.join(unknown)} (use {','.join(COLUMNS)})"]
        )
    rows: list[ImportRow] = []
    problems: list[str] = []
    seen: set[str] = set()
    for raw in _records(reader, problems):
        line = reader.line_num
        record = {k: restore(v) if isinstance(v, str) else v for k, v in raw.items()}
        try:
            email = normalise_email(record.get("email") or "")
        except ValidationFailed as exc:
            problems.append(f"line {line}: {exc.problems[0].partition(': ')[2]}")
            continue
        if email in seen:
            problems.append(f"line {line}: {email} appears twice")
            continue
        seen.add(email)
        language = (record.get("language") or "").strip() or default_language
        if language not in languages:
            problems.append(
                f"line {line}: language {language!r} is not offered "
                f"({', '.join(languages)})"
            )
            continue
        raw_confirmed = (record.get("confirmed_at") or "").strip()
        try:
            confirmed_at = _timestamp(raw_confirmed) if raw_confirmed else None
        except ValueError:
            problems.append(
                f"line {line}: confirmed_at {raw_confirmed!r} is not an ISO 8601 time"
            )
            continue
        source = (record.get("source") or "").strip()[:100] or "import"
        rows.append(ImportRow(email, language, confirmed_at, source, line))
    return CheckedCsv(rows, problems)


def _records(
    reader: csv.DictReader[str], problems: list[str]
) -> Iterator[dict[str | Any, Any]]:
    """The reader's rows; a row csv cannot read ends the file with its reason."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(
                f"line {reader.line_num + 1}: {exc}; the rest of the file was not read"
            )
            return


def read_rows(
    lines: Iterable[str], *, languages: tuple[str, ...], default_language: str
) -> list[ImportRow]:
    """Check every row; ValidationFailed names each bad one (``line N: reason``)."""
    checked = check_rows(lines, languages=languages, default_language=default_language)
    if checked.problems:
        raise ValidationFailed(checked.problems)
    return checked.rows


@dataclass(frozen=True)
class ImportPreview:
    """What importing a checked CSV would do, before anything is stored."""

    new: list[ImportRow]
    present: list[ImportRow]  # addresses already known: left unchanged
    problems: list[str]

    @property
    def new_confirmed(self) -> int:
        """New rows that carry a consent date (imported as confirmed)."""
        return sum(1 for row in self.new if row.confirmed_at)


def _known(session: Session, emails: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(emails), 500):
        known.update(
            session.scalars(
                select(Subscriber.email).where(
                    Subscriber.email.in_(emails[start : start + 500])
                )
            )
        )
    return known


def preview_rows(session: Session, checked: CheckedCsv) -> ImportPreview:
    """Sort the good rows into new and already present addresses (reads only)."""
    known = _known(session, [row.email for row in checked.rows])
    return ImportPreview(
        new=[row for row in checked.rows if row.email not in known],
        present=[row for row in checked.rows if row.email in known],
        problems=list(checked.problems),
    )


def import_rows(
    session: Session, rows: list[ImportRow], *, now: datetime, file_name: str
) -> ImportReport:
    """Add the rows' addresses that are new; rows with confirmed_at count as opted in.

    Known addresses are left as they are: an import never resubscribes someone who
    unsubscribed, nor changes a subscriber's choices. Commits once.
    """
    report = ImportReport()
    known = _known(session, [row.email for row in rows])
    fresh: list[Subscriber] = []
    for row in rows:
        if row.email in known:
            report.skipped += 1
            continue
        subscriber = Subscriber(
            email=row.email,
            language=row.language,
            topics=[],
            regions=[],
            source=row.source,
            created_at=now,
            status="confirmed" if row.confirmed_at else "pending",
            confirmed_at=row.confirmed_at,
        )
        detail = f"file {file_name}; source {row.source}"
        if row.confirmed_at:
            detail += f"; opted in {row.confirmed_at.isoformat()}"
            report.confirmed += 1
        subscriber.consents = [
            Consent(
                at=now,
                action="imported-confirmed" if row.confirmed_at else "imported",
                method="csv import",
                detail=detail,
            )
        ]
        session.add(subscriber)
        fresh.append(subscriber)
        report.created += 1
    session.flush()
    report.to_confirm = [s.id for s in fresh if s.status == "pending"]
    session.commit()
    return report


def export_rows(session: Session) -> Iterator[tuple[str, str, str, str]]:
    """Confirmed and pending subscribers as CSV rows, streamed in id order."""
    result = session.execute(
        select(
            Subscriber.email,
            Subscriber.language,
            Subscriber.confirmed_at,
            Subscriber.source,
        )
        .where(Subscriber.status.in_(("confirmed", "pending")))
        .order_by(Subscriber.id)
        .execution_options(yield_per=1000)
    )
    for email, language, confirmed_at, source in result:
        stamp = confirmed_at.isoformat().replace("+00:00", "Z") if confirmed_at else ""
        yield email, language, stamp, source


def write_csv(session: Session, out: TextIO) -> int:
    """Write the export to ``out``; return the number of rows."""
    # CRLF as RFC 4180 says: with "\n" alone, csv would not quote a cell holding a
    # bare CR, and every reader would split the row there.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in export_rows(session):
        writer.writerow(neutralise_row(row))
        count += 1
    return count


@dataclass(frozen=True)
class OptInReport:
    """How the opt-in mails to imported, unconfirmed subscribers went."""

    mailed: int
    failed: list[tuple[int, str]]  # subscriber id, the error's type


def send_opt_in(
    session: Session,
    subscriber_ids: Iterable[int],
    send: Callable[[Subscriber], None],
    *,
    clock: Callable[[], datetime],
) -> OptInReport:
    """Mail each still-pending subscriber a confirmation link; commit after each.

    A failed mail is reported and the others go on; the subscriber stays pending
    without a confirmation date, so a later opt-in run reaches them.
    """
    mailed = 0
    failed: list[tuple[int, str]] = []
    for subscriber_id in subscriber_ids:
        subscriber = session.get(Subscriber, subscriber_id)
        if subscriber is None or subscriber.status != "pending":
            continue
        try:
            send(subscriber)
        except (smtplib.SMTPException, OSError) as exc:
            failed.append((subscriber_id, type(exc).__name__))
            continue
        subscriber.confirmation_sent_at = clock()
        session.commit()
        mailed += 1
    return OptInReport(mailed, failed)
