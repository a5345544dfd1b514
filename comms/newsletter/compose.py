"""Composing issues: what the last sent issue was, and which items to propose next.

An issue counts as *sent* once it is public (published, due): that is when the
send button publishes it, and what the public archive lists. The items proposed
for the next issue are the public ones published after the newest sent issue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from comms.catalogue.models import Item, Newsletter
from comms.catalogue.service import visible

PICKABLE = ("press_release", "report", "event", "video")


@dataclass(frozen=True)
class Candidate:
    """An item the officer may carry in an issue, picked or not, at a position."""

    kind: str
    slug: str
    title: str
    language: str
    published_at: datetime | None
    picked: bool
    order: str


def is_sent(letter: Newsletter, now: datetime) -> bool:
    """True when the issue is public (and so read-only in the admin)."""
    return (
        letter.status in ("published", "archived")
        and letter.published_at is not None
        and letter.published_at <= now
    )


def last_sent(session: Session, now: datetime) -> Newsletter | None:
    """The sent issue with the newest publication time, if any."""
    return session.scalars(
        select(Newsletter)
        .where(
            Newsletter.status.in_(("published", "archived")),
            Newsletter.published_at.is_not(None),
            Newsletter.published_at <= now,
        )
        .order_by(Newsletter.published_at.desc(), Newsletter.id.desc())
        .limit(1)
    ).first()


def proposals(
    session: Session, *, language: str, default_language: str, now: datetime
) -> list[Item]:
    """Every public item published since the last sent issue, one per translation.

    Of an item's language versions the one in ``language`` is proposed, else the
    one in the site's default language, else the first; kinds in PICKABLE order,
    oldest first within a kind.
    """
    since = last_sent(session, now)
    stmt = select(Item).where(visible(Item, now), Item.kind.in_(PICKABLE))
    if since is not None and since.published_at is not None:
        stmt = stmt.where(Item.published_at > since.published_at)
    chosen: dict[tuple[str, str], Item] = {}
    rank = {language: 0, default_language: 1}
    for item in session.scalars(stmt.order_by(Item.language, Item.id)):
        key = (item.kind, item.translation)
        current = chosen.get(key)
        if current is None or rank.get(item.language, 2) < rank.get(
            current.language, 2
        ):
            chosen[key] = item
    return sorted(
        chosen.values(),
        key=lambda i: (PICKABLE.index(i.kind), i.published_at or now, i.id),
    )


def find_items(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Item]:
    """Items by (kind, slug), the first language version of each."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    found: dict[tuple[str, str], Item] = {}
    for item in session.scalars(
        select(Item)
        .where(tuple_(Item.kind, Item.slug).in_(wanted))
        .order_by(Item.language, Item.id)
    ):
        found.setdefault((item.kind, item.slug), item)
    return found


def candidates_for(
    session: Session,
    letter: Newsletter | None,
    *,
    language: str,
    default_language: str,
    now: datetime,
) -> list[Candidate]:
    """The editor's list: an issue's entries (picked, in order), then new proposals.

    For a new issue every proposal starts picked, in the proposed order.
    """
    entries = [(e.kind, e.slug) for e in letter.entries] if letter else []
    known = find_items(session, entries)
    result = [
        _candidate(kind, slug, known.get((kind, slug)), True, str(i + 1))
        for i, (kind, slug) in enumerate(entries)
    ]
    picked = set(entries)
    proposed = proposals(
        session, language=language, default_language=default_language, now=now
    )
    for item in proposed:
        if (item.kind, item.slug) in picked:
            continue
        result.append(
            _candidate(item.kind, item.slug, item, letter is None, str(len(result) + 1))
        )
    return result


def _candidate(
    kind: str, slug: str, item: Item | None, picked: bool, order: str
) -> Candidate:
    return Candidate(
        kind=kind,
        slug=slug,
        title=item.display_title if item else f"(missing: {slug})",
        language=item.language if item else "",
        published_at=item.published_at if item else None,
        picked=picked,
        order=order,
    )


def typed_candidates(
    session: Session, rows: list[tuple[str, str, bool, str]]
) -> list[Candidate]:
    """The editor's list as the officer submitted it (kind, slug, picked, order)."""
    known = find_items(session, [(kind, slug) for kind, slug, _p, _o in rows])
    return [
        _candidate(kind, slug, known.get((kind, slug)), picked, order)
        for kind, slug, picked, order in rows
    ]


def next_number(session: Session) -> int:
    """The number after the highest issue number so far (1 for the first issue)."""
    highest = session.scalar(select(func.max(Newsletter.number)))
    return int(highest or 0) + 1
