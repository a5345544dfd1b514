"""Newsletter issues in the admin: compose, edit, add a language version, publish.

Every function takes a Session, checks its inputs, records an audit entry and
commits once; failures are comms.errors exceptions (or EditConflict / IssueSent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from comms import zones
from comms.admin import audit
from comms.admin.issue_forms import IssueDraft
from comms.admin.models import AuditEntry, User
from comms.admin.service import EditConflict
from comms.catalogue.models import Newsletter, NewsletterEntry
from comms.errors import CommsError, NotFound, ValidationFailed
from comms.newsletter import compose
from comms.newsletter.models import Delivery
from comms.newsletter.report import LABELS, report_status
from comms.rendering import render_markdown

SENT_MESSAGE = "This issue has been sent: it can no longer be changed."


class IssueSent(CommsError):
    """The issue is public (sent): it can no longer be edited."""


@dataclass(frozen=True)
class IssueRow:
    """One issue (all its language versions) in the admin's list."""

    first: Newsletter
    versions: list[Newsletter]
    state: str  # draft | scheduled | sent
    deliveries: dict[str, int]  # by the delivery report's label


def get_issue(session: Session, issue_id: int) -> Newsletter:
    """The issue version with this id, in any state."""
    letter = session.get(Newsletter, issue_id)
    if letter is None:
        raise NotFound(f"no newsletter issue {issue_id}")
    return letter


def versions_of(session: Session, letter: Newsletter) -> list[Newsletter]:
    """Every language version of an issue (itself included), by language."""
    return list(
        session.scalars(
            select(Newsletter)
            .where(Newsletter.translation == letter.translation)
            .order_by(Newsletter.language)
        )
    )


def state_of(letter: Newsletter, now: datetime) -> str:
    """draft, scheduled (published for later) or sent (public)."""
    if compose.is_sent(letter, now):
        return "sent"
    if letter.status == "published":
        return "scheduled"
    return letter.status


def list_issues(session: Session, now: datetime, limit: int = 50) -> list[IssueRow]:
    """The newest issues first, each with its versions and deliveries by status."""
    letters = list(
        session.scalars(
            select(Newsletter).order_by(Newsletter.id.desc()).limit(limit * 5)
        )
    )
    groups: dict[str, list[Newsletter]] = {}
    for letter in letters:
        groups.setdefault(letter.translation, []).append(letter)
    names = list(groups)[:limit]
    counts: dict[str, dict[str, int]] = {name: {} for name in names}
    if names:
        for issue, status, code, n in session.execute(
            select(Delivery.issue, Delivery.status, Delivery.smtp_code, func.count())
            .where(Delivery.issue.in_(names))
            .group_by(Delivery.issue, Delivery.status, Delivery.smtp_code)
        ):
            label = LABELS[report_status(str(status), code)].lower()
            counts[str(issue)][label] = counts[str(issue)].get(label, 0) + int(n)
    rows = []
    for name in names:
        versions = sorted(groups[name], key=lambda v: v.language)
        first = min(groups[name], key=lambda v: v.id)
        states = {state_of(v, now) for v in versions}
        state = next(
            (s for s in ("sent", "scheduled", "draft") if s in states), "archived"
        )
        rows.append(IssueRow(first, versions, state, counts[name]))
    return rows


def _check(session: Session, letter: Newsletter, draft: IssueDraft) -> None:
    problems = []
    with session.no_autoflush:
        clash = session.scalars(
            select(Newsletter.id).where(
                Newsletter.id != (letter.id or 0),
                Newsletter.language == draft.language,
                or_(
                    Newsletter.slug == draft.slug,
                    Newsletter.translation == (letter.translation or draft.slug),
                ),
            )
        ).first()
        if clash is not None:
            problems.append(
                f"slug: an issue in this language already uses {draft.slug!r}"
            )
        found = compose.find_items(session, draft.items)
    problems += [
        f"items: no {kind.replace('_', ' ')} {slug!r}"
        for kind, slug in draft.items
        if (kind, slug) not in found
    ]
    if problems:
        raise ValidationFailed(problems)


def _apply(letter: Newsletter, draft: IssueDraft) -> None:
    for name in ("slug", "number", "title", "language"):
        if getattr(letter, name) != getattr(draft, name):
            setattr(letter, name, getattr(draft, name))
    if letter.intro != draft.intro or (draft.intro and not letter.intro_html):
        letter.intro = draft.intro
        letter.intro_html = render_markdown(draft.intro)
    if [(e.kind, e.slug) for e in letter.entries] != list(draft.items):
        letter.entries = [
            NewsletterEntry(position=i, kind=kind, slug=slug)
            for i, (kind, slug) in enumerate(draft.items)
        ]


def create_issue(
    session: Session, actor: User, draft: IssueDraft, now: datetime
) -> Newsletter:
    """A new draft issue from the editor's values."""
    letter = Newsletter(status="draft", translation=draft.slug, created_at=now)
    letter.entries = []
    _check(session, letter, draft)
    _apply(letter, draft)
    letter.updated_at = now
    session.add(letter)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        letter,
        before=None,
        after=audit.newsletter_snapshot(letter),
        now=now,
    )
    session.commit()
    return letter


def _conflict(letter: Newsletter) -> EditConflict:
    return EditConflict(
        f"Someone else saved this issue at {letter.updated_at:%Y-%m-%d %H:%M} UTC "
        "since you opened it. Your text is kept below: copy what you need, "
        "reload the issue and apply your changes again."
    )


def update_issue(
    session: Session,
    actor: User,
    issue_id: int,
    draft: IssueDraft,
    *,
    expected: str,
    now: datetime,
) -> Newsletter:
    """Save an unsent issue unless someone else saved it since ``expected``."""
    letter = get_issue(session, issue_id)
    if compose.is_sent(letter, now):
        raise IssueSent(SENT_MESSAGE)
    try:
        stamp = datetime.fromisoformat(expected)
    except ValueError:
        raise _conflict(letter) from None
    # Compare and move the stamp in one statement: of two saves, one wins.
    moved = session.execute(
        update(Newsletter)
        .where(Newsletter.id == issue_id, Newsletter.updated_at == stamp)
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        raise _conflict(get_issue(session, issue_id))
    before = audit.newsletter_snapshot(letter)
    try:
        _check(session, letter, draft)
    except ValidationFailed:
        session.rollback()
        raise
    _apply(letter, draft)
    letter.updated_at = now
    _record(session, actor, "update", letter, before, now)
    session.commit()
    return letter


def _record(
    session: Session,
    actor: User | None,
    action: str,
    letter: Newsletter,
    before: dict[str, object] | None,
    now: datetime,
) -> None:
    after = audit.newsletter_snapshot(letter)
    changed = ", ".join(audit.changed_keys(before, after)) or "no change"
    audit.record(
        session,
        actor,
        action,
        letter,
        before=before,
        after=after,
        summary=f"newsletter {letter.slug}.{letter.language}: {changed}",
        now=now,
    )


def add_version(
    session: Session,
    actor: User,
    issue_id: int,
    language: str,
    languages: Sequence[str],
    now: datetime,
) -> Newsletter:
    """A draft copy of an issue in another language, to translate."""
    source = get_issue(session, issue_id)
    if language not in languages:
        raise ValidationFailed([f"language: use one of {', '.join(languages)}"])
    copy = Newsletter(
        slug=source.slug,
        language=language,
        translation=source.translation,
        number=source.number,
        title=source.title,
        intro=source.intro,
        intro_html=source.intro_html,
        status="draft",
        created_at=now,
        updated_at=now,
    )
    copy.entries = [
        NewsletterEntry(position=e.position, kind=e.kind, slug=e.slug)
        for e in source.entries
    ]
    draft = IssueDraft(copy.slug, copy.number, copy.title, language, copy.intro, ())
    _check(session, copy, draft)
    session.add(copy)
    session.flush()
    audit.record(
        session,
        actor,
        "translate",
        copy,
        before=None,
        after=audit.newsletter_snapshot(copy),
        summary=f"newsletter {copy.slug}.{language} from {source.language}",
        now=now,
    )
    session.commit()
    return copy


def publish_for_sending(
    session: Session, actor: User | None, letter: Newsletter, now: datetime
) -> list[Newsletter]:
    """Make every version of the issue public now (the send button's first step)."""
    versions = versions_of(session, letter)
    for version in versions:
        if compose.is_sent(version, now) or version.status == "archived":
            continue
        before = audit.newsletter_snapshot(version)
        version.status = "published"
        if version.published_at is None or version.published_at > now:
            version.published_at = now
        version.updated_at = now
        _record(session, actor, "publish", version, before, now)
    session.commit()
    return versions


def check_send_time(
    session: Session,
    letter: Newsletter,
    when: datetime | None,
    now: datetime,
    zone_name: str = "UTC",
) -> list[str]:
    """What stops the issue being scheduled to go out at ``when`` (empty: nothing).

    Times are named in ``zone_name``, the zone the officer types them in.
    """
    if when is None:
        return [
            f"Send at: give a date and time such as 2026-05-15T09:00 "
            f"({zone_name} time)."
        ]
    problems = []
    if when <= now:
        where = zones.zone(zone_name)
        problems.append(
            f"Send at: {when.astimezone(where):%Y-%m-%d %H:%M} has passed; give a "
            f"time after {now.astimezone(where):%Y-%m-%d %H:%M} ({zone_name} time), "
            f"or use the send button to send now."
        )
    if compose.is_sent(letter, now):
        problems.append(SENT_MESSAGE)
    elif not any(v.entries for v in versions_of(session, letter)):
        problems.append(
            "The issue carries no items: tick at least one item and save first."
        )
    return problems


def set_send_time(
    session: Session,
    actor: User | None,
    letter: Newsletter,
    when: datetime | None,
    now: datetime,
    zone_name: str = "UTC",
) -> list[Newsletter]:
    """Schedule every version of the issue to be sent at ``when`` (None: cancel).

    The worker sends it then (``comms.worker.periodic``); ValidationFailed says why
    a time cannot be taken (its times named in ``zone_name``). Commits once, with an
    audit entry per version.
    """
    if when is not None:
        problems = check_send_time(session, letter, when, now, zone_name)
        if problems:
            raise ValidationFailed(problems)
    elif compose.is_sent(letter, now):
        raise IssueSent(SENT_MESSAGE)
    versions = [v for v in versions_of(session, letter) if v.status != "archived"]
    for version in versions:
        before = audit.newsletter_snapshot(version)
        version.send_at = when
        version.updated_at = now
        _record(
            session, actor, "schedule" if when else "unschedule", version, before, now
        )
    session.commit()
    return versions


def last_send(session: Session, letter: Newsletter) -> AuditEntry | None:
    """The audit entry of the newest finished send of this issue, if any."""
    ids = [str(v.id) for v in versions_of(session, letter)]
    return session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.target_type == "newsletter",
            AuditEntry.target_id.in_(ids),
            AuditEntry.action.in_(("send", "send-failed")),
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()
