"""Subscribers as the admin lists them: search, filters, pages and counts.

Reads only. Changing a subscriber goes through ``service`` (erase) and
``csvfiles`` (import), the functions the command line uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from comms.errors import NotFound
from comms.newsletter.models import SUBSCRIBER_STATUSES, Subscriber

PAGE_SIZE = 50
MAX_QUERY = 254  # an address's length


@dataclass(frozen=True)
class SubscriberQuery:
    """What the officer asked the list for (empty strings: no filter)."""

    q: str = ""
    status: str = ""
    language: str = ""
    page: int = 1


@dataclass(frozen=True)
class SubscriberPage:
    """One page of the list, with the counts of the whole table."""

    subscribers: list[Subscriber]
    number: int
    has_next: bool
    matching: int
    by_status: dict[str, int]
    by_language: dict[str, int]


def checked_query(
    q: str, status: str, language: str, page: str, languages: tuple[str, ...]
) -> SubscriberQuery:
    """The request's filters, with anything unknown dropped rather than refused."""
    try:
        number = max(1, min(int(page or 1), 100_000))
    except ValueError:
        number = 1
    return SubscriberQuery(
        q=q.strip()[:MAX_QUERY],
        status=status if status in SUBSCRIBER_STATUSES else "",
        language=language if language in languages else "",
        page=number,
    )


def _conditions(query: SubscriberQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.q:
        # Addresses are stored lowercased (normalise_email); a search is a substring.
        pattern = query.q.lower().replace("\\", "\\\\")
        pattern = pattern.replace("%", "\\%").replace("_", "\\_")
        conditions.append(Subscriber.email.like(f"%{pattern}%", escape="\\"))
    if query.status:
        conditions.append(Subscriber.status == query.status)
    if query.language:
        conditions.append(Subscriber.language == query.language)
    return conditions


def subscriber_page(
    session: Session, query: SubscriberQuery, page_size: int = PAGE_SIZE
) -> SubscriberPage:
    """The subscribers matching ``query``, newest first, one page of them."""
    conditions = _conditions(query)
    rows = list(
        session.scalars(
            select(Subscriber)
            .where(*conditions)
            .order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
            .offset((query.page - 1) * page_size)
            .limit(page_size + 1)
        )
    )
    matching = session.scalar(
        select(func.count()).select_from(Subscriber).where(*conditions)
    )
    by_status = {
        str(status): int(n)
        for status, n in session.execute(
            select(Subscriber.status, func.count()).group_by(Subscriber.status)
        )
    }
    by_language = {
        str(language): int(n)
        for language, n in session.execute(
            select(Subscriber.language, func.count())
            .group_by(Subscriber.language)
            .order_by(Subscriber.language)
        )
    }
    return SubscriberPage(
        subscribers=rows[:page_size],
        number=query.page,
        has_next=len(rows) > page_size,
        matching=int(matching or 0),
        by_status=by_status,
        by_language=by_language,
    )


def subscriber_by_id(session: Session, subscriber_id: int) -> Subscriber:
    """The subscriber with this id; NotFound when there is none (or it was erased)."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound("no subscriber with that id: erased, or never there")
    return subscriber
