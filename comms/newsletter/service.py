"""Newsletter services: issues for the site, double opt-in, unsubscribe, personal data.

Every function takes a Session and plain values, raises comms.errors exceptions and
imports nothing from Flask. Sending lives in ``sending.py``; SMTP and MIME in
``mail.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from comms import kinds
from comms.catalogue.models import Item, ItemTag, Newsletter
from comms.catalogue.service import names_in_use, visible
from comms.db import leaving_no_trace
from comms.errors import NotFound, ValidationFailed
from comms.messages import N_
from comms.newsletter.models import Consent, Delivery, Subscriber, new_key
from comms.newsletter.tokens import CONFIRM_MAX_AGE, ConfirmClaim, TokenInvalid
from comms.text import normalise_email

# At most this many topics and regions in one request (the form offers up to 30
# topics and site.yml's regions).
MAX_CHOICES = 50


# -- subscribers -------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionRequest:
    """What the subscribe form (or an import row) asks for."""

    email: str
    language: str
    topics: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


def mailbox_key(email: str) -> str:
    """The mailbox an address reaches, for limits: case and ``+tag`` folded away.

    ``Victim+1@Example.org`` and ``victim+2@example.org`` land in one mailbox; the
    address itself is stored as given.
    """
    local, _at, domain = email.strip().lower().rpartition("@")
    return f"{local.partition('+')[0]}@{domain}"


def _choices(
    field: str, chosen: list[str] | None, offered: Collection[str]
) -> tuple[tuple[str, ...], str | None]:
    """The chosen values if all are offered, else a ``field: reason`` problem."""
    values = [v for v in chosen or [] if v]
    if len(values) > MAX_CHOICES or any(v not in offered for v in values):
        return (), f"{field}: " + (
            N_("choose only among the topics offered")
            if field == "topic"
            else N_("choose only among the regions offered")
        )
    return tuple(sorted(set(values))), None


def checked_request(
    email: str,
    language: str,
    *,
    languages: tuple[str, ...],
    topics: list[str] | None = None,
    regions: list[str] | None = None,
    offered_topics: Collection[str] = (),
    offered_regions: Collection[str] = (),
) -> SubscriptionRequest:
    """A validated subscription request; ValidationFailed names every problem.

    Topics and regions must be among those the form offers.
    """
    problems: list[str] = []
    try:
        address = normalise_email(email)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
        address = ""
    try:
        chosen = checked_preferences(
            language,
            languages=languages,
            topics=topics,
            regions=regions,
            offered_topics=offered_topics,
            offered_regions=offered_regions,
        )
    except ValidationFailed as exc:
        problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems)
    return SubscriptionRequest(
        email=address, language=language, topics=chosen.topics, regions=chosen.regions
    )


@dataclass(frozen=True)
class Preferences:
    """What a subscriber's preferences page asks for."""

    language: str
    topics: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


def checked_preferences(
    language: str,
    *,
    languages: tuple[str, ...],
    topics: list[str] | None = None,
    regions: list[str] | None = None,
    offered_topics: Collection[str] = (),
    offered_regions: Collection[str] = (),
) -> Preferences:
    """Validated preferences; the same checks as the subscribe form's."""
    problems: list[str] = []
    if language not in languages:
        problems.append(f"language: choose one of {', '.join(languages)}")
    chosen_topics, problem = _choices("topic", topics, offered_topics)
    if problem:
        problems.append(problem)
    chosen_regions, problem = _choices("region", regions, offered_regions)
    if problem:
        problems.append(problem)
    if problems:
        raise ValidationFailed(problems)
    return Preferences(language, chosen_topics, chosen_regions)


def subscriber_by_key(session: Session, key: str) -> Subscriber | None:
    """The subscriber a signed link names, if they are still stored."""
    return session.scalars(select(Subscriber).where(Subscriber.key == key)).first()


def change_preferences(
    session: Session,
    subscriber: Subscriber,
    wanted: Preferences,
    *,
    now: datetime,
    method: str = "preferences page",
) -> bool:
    """Store a confirmed subscriber's new language, topics and regions, with a
    consent record of the change, then commit. False when nothing changed."""
    if subscriber.status != "confirmed":
        raise ValidationFailed([N_("This address is not subscribed any more.")])
    before = (subscriber.language, sorted(subscriber.topics or []),
              sorted(subscriber.regions or []))  # fmt: skip
    after = (wanted.language, list(wanted.topics), list(wanted.regions))
    if before == after:
        return False
    subscriber.language = wanted.language
    subscriber.topics = list(wanted.topics)
    subscriber.regions = list(wanted.regions)
    detail = (
        f"language={wanted.language}; topics={','.join(wanted.topics) or '-'}; "
        f"regions={','.join(wanted.regions) or '-'}"
    )
    _consent(subscriber, "preferences changed", method, now, detail)
    session.commit()
    return True


def find_subscriber(session: Session, email: str) -> Subscriber | None:
    """The subscriber with this address, if any."""
    return session.scalars(
        select(Subscriber).where(Subscriber.email == email.strip().lower())
    ).first()


def _consent(
    subscriber: Subscriber, action: str, method: str, now: datetime, detail: str = ""
) -> None:
    subscriber.consents.append(
        Consent(at=now, action=action, method=method, detail=detail)
    )


def subscribe(
    session: Session,
    request: SubscriptionRequest,
    *,
    now: datetime,
    send_confirmation: Callable[[Subscriber], None],
    method: str = "web form",
) -> None:
    """Start (or restart) double opt-in for an address, then commit.

    Every address takes the same path, so neither the answer nor its timing reveals
    a subscription: a row is written, a confirmation mail rendered and sent. For an
    address already confirmed the row is a consent record of the request, and the
    mail's link (to the current subscription) changes nothing; its choices stay.
    Limits on how often an address or a client may ask are the caller's. Expired
    requests are purged on the way. If the confirmation mail cannot be sent, the
    session is rolled back and the error re-raised: nothing is stored.
    """
    purge_expired(session, now=now)
    subscriber = find_subscriber(session, request.email)
    detail = f"language={request.language}"
    if request.topics:
        detail += f"; topics={','.join(request.topics)}"
    if request.regions:
        detail += f"; regions={','.join(request.regions)}"
    if subscriber is not None and subscriber.status == "confirmed":
        detail += "; already confirmed: choices kept"
    else:
        if subscriber is None:
            subscriber = Subscriber(email=request.email, source=method, created_at=now)
            session.add(subscriber)
        subscriber.status = "pending"
        subscriber.language = request.language
        subscriber.topics = list(request.topics)
        subscriber.regions = list(request.regions)
        subscriber.nonce = new_key()
    subscriber.confirmation_sent_at = now
    _consent(subscriber, "requested", method, now, detail)
    try:
        session.flush()
        send_confirmation(subscriber)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def purge_expired(session: Session, *, now: datetime) -> int:
    """Delete pending subscriptions whose confirmation link has expired.

    Their consent records go with them. Rows imported unconfirmed and never mailed
    (no confirmation sent) stay: they wait for the officer's opt-in mail. Returns
    the number of subscriptions deleted; the caller commits.
    """
    cutoff = now - timedelta(seconds=CONFIRM_MAX_AGE)
    expired = (
        Subscriber.status == "pending",
        Subscriber.confirmation_sent_at < cutoff,
    )
    session.execute(
        delete(Consent).where(
            Consent.subscriber_id.in_(select(Subscriber.id).where(*expired))
        )
    )
    # Deliveries of someone who left and asked again go by ON DELETE CASCADE.
    result = session.execute(
        delete(Subscriber).where(*expired).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def confirm(session: Session, claim: ConfirmClaim, *, now: datetime) -> Subscriber:
    """Confirm the subscription a valid link names, then commit (idempotent)."""
    subscriber = session.scalars(
        select(Subscriber).where(Subscriber.key == claim.key)
    ).first()
    if subscriber is None or subscriber.nonce != claim.nonce:
        raise TokenInvalid(
            "This confirmation link is no longer valid: a newer one was sent, or "
            "the subscription was removed. Please subscribe again."
        )
    if subscriber.status == "confirmed":
        return subscriber
    if subscriber.status != "pending":
        raise TokenInvalid(
            "This confirmation link is no longer valid. Please subscribe again."
        )
    subscriber.status = "confirmed"
    subscriber.confirmed_at = now
    subscriber.bounce_count = 0
    _consent(subscriber, "confirmed", "confirmation link", now)
    session.commit()
    return subscriber


def unsubscribe(session: Session, key: str, *, now: datetime, method: str) -> None:
    """Withdraw the subscription of the subscriber with this key, then commit.

    Unknown keys (an erased person) and repeated requests change nothing and are
    not errors: the answer must be the same whatever the state.
    """
    subscriber = session.scalars(
        select(Subscriber).where(Subscriber.key == key)
    ).first()
    if subscriber is None or subscriber.status == "unsubscribed":
        return
    subscriber.status = "unsubscribed"
    subscriber.unsubscribed_at = now
    _consent(subscriber, "withdrawn", method, now)
    session.commit()


def person_data(session: Session, email: str) -> dict[str, Any]:
    """Everything stored about one address (for a data subject's request)."""
    subscriber = find_subscriber(session, email)
    if subscriber is None:
        raise NotFound("no subscriber with that address")
    deliveries = session.scalars(
        select(Delivery)
        .where(Delivery.subscriber_id == subscriber.id)
        .order_by(Delivery.id)
    )

    def stamp(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "email": subscriber.email,
        "language": subscriber.language,
        "topics": list(subscriber.topics),
        "regions": list(subscriber.regions),
        "status": subscriber.status,
        "source": subscriber.source,
        "created_at": stamp(subscriber.created_at),
        "confirmation_sent_at": stamp(subscriber.confirmation_sent_at),
        "confirmed_at": stamp(subscriber.confirmed_at),
        "unsubscribed_at": stamp(subscriber.unsubscribed_at),
        "bounce_count": subscriber.bounce_count,
        "consents": [c.as_dict() for c in subscriber.consents],
        "deliveries": [
            {
                "issue": d.issue,
                "language": d.language,
                "status": d.status,
                "sent_at": stamp(d.sent_at),
                "smtp_code": d.smtp_code,
            }
            for d in deliveries
        ],
    }


def erase_person(session: Session, email: str) -> None:
    """Delete an address with its consent records and deliveries, then commit.

    On SQLite no copy of the rows stays in the database file or its WAL.
    """
    subscriber = find_subscriber(session, email)
    if subscriber is None:
        raise NotFound("no subscriber with that address")
    with leaving_no_trace(session):
        session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber.id))
        session.execute(delete(Consent).where(Consent.subscriber_id == subscriber.id))
        # A caller may have loaded the records: let the cascade see them gone.
        session.expire(subscriber, ["consents"])
        session.delete(subscriber)
        session.commit()


def count_subscribers(session: Session) -> dict[str, int]:
    """How many subscribers there are in each status."""
    rows = session.execute(
        select(Subscriber.status, func.count()).group_by(Subscriber.status)
    )
    return {str(status): int(count) for status, count in rows}


def topic_choices(session: Session, now: datetime, limit: int = 30) -> list[str]:
    """Topics offered on the subscribe form: the tags public items carry (looked
    up by the tags' index: joining every tag to its item took 220 ms at 100,000
    items, on every uncached form and on every static export after a publish)."""
    return names_in_use(session, ItemTag, now=now)[:limit]


# -- issues ------------------------------------------------------------------------


@dataclass(frozen=True)
class KindGroup:
    """The items of one kind an issue carries, in the officer's order."""

    kind: str
    label: str
    items: list[Item]


@dataclass(frozen=True)
class IssuePage:
    """One language version of an issue, its siblings and its contents."""

    letter: Newsletter
    versions: list[Newsletter]
    groups: list[KindGroup] = field(default_factory=list)


def _public_letter(now: datetime) -> Any:
    return and_(
        Newsletter.status.in_(("published", "archived")),
        Newsletter.published_at.is_not(None),
        Newsletter.published_at <= now,
    )


def pick_version(
    versions: list[Newsletter], wanted: list[str], default_language: str
) -> Newsletter:
    """The version in the first wanted language, else the default, else the first."""
    by_language = {v.language: v for v in versions}
    for language in [*wanted, default_language]:
        if language in by_language:
            return by_language[language]
    return versions[0]


def archive(
    session: Session, *, wanted: list[str], default_language: str, now: datetime
) -> list[Newsletter]:
    """Public issues, newest first, one version per issue in the visitor's language."""
    letters = session.scalars(
        select(Newsletter)
        .where(_public_letter(now), Newsletter.status == "published")
        .order_by(Newsletter.translation, Newsletter.language)
    )
    groups: dict[str, list[Newsletter]] = {}
    for letter in letters:
        groups.setdefault(letter.translation, []).append(letter)
    chosen = [pick_version(v, wanted, default_language) for v in groups.values()]
    return sorted(
        chosen,
        key=lambda n: (n.published_at or now, n.number or 0, n.slug),
        reverse=True,
    )


def issue_groups(
    session: Session, letter: Newsletter, now: datetime
) -> list[KindGroup]:
    """The public items an issue carries, grouped by kind in order of first mention."""
    wanted = [(e.kind, e.slug) for e in letter.entries]
    if not wanted:
        return []
    slugs = {slug for _kind, slug in wanted}
    found: dict[tuple[str, str], Item] = {}
    for item in session.scalars(
        select(Item).where(Item.slug.in_(slugs), visible(Item, now))
    ):
        key = (item.kind, item.slug)
        current = found.get(key)
        if current is None or item.language == letter.language:
            found[key] = item
    groups: dict[str, list[Item]] = {}
    for key in wanted:
        if key in found:
            groups.setdefault(key[0], []).append(found[key])
    return [
        KindGroup(kind=kind, label=kinds.get(kind).plural_label, items=items)
        for kind, items in groups.items()
    ]


def issue_page(
    session: Session,
    slug: str,
    *,
    wanted: list[str],
    default_language: str,
    now: datetime,
) -> IssuePage:
    """The web version of an issue in the visitor's language where one exists."""
    candidates = list(
        session.scalars(
            select(Newsletter)
            .where(Newsletter.slug == slug, _public_letter(now))
            .order_by(Newsletter.language)
        )
    )
    if not candidates:
        raise NotFound(f"no newsletter issue {slug!r}")
    letter = pick_version(candidates, wanted, default_language)
    versions = list(
        session.scalars(
            select(Newsletter)
            .where(Newsletter.translation == letter.translation, _public_letter(now))
            .order_by(Newsletter.language)
        )
    )
    return IssuePage(
        letter=letter, versions=versions, groups=issue_groups(session, letter, now)
    )


def public_issues(session: Session, *, now: datetime) -> list[list[Newsletter]]:
    """Every public issue as its public language versions (the sitemap's)."""
    groups: dict[str, list[Newsletter]] = {}
    for letter in session.scalars(
        select(Newsletter)
        .where(_public_letter(now))
        .order_by(Newsletter.published_at, Newsletter.translation, Newsletter.language)
    ):
        groups.setdefault(letter.translation, []).append(letter)
    return list(groups.values())


def issue_versions(session: Session, slug: str, *, now: datetime) -> list[Newsletter]:
    """Every language version of the issue ``slug``, checked fit to be sent."""
    first = session.scalars(
        select(Newsletter).where(Newsletter.slug == slug).order_by(Newsletter.language)
    ).first()
    if first is None:
        raise NotFound(f"no newsletter issue {slug!r}")
    versions = list(
        session.scalars(
            select(Newsletter)
            .where(
                Newsletter.translation == first.translation,
                Newsletter.status == "published",
            )
            .order_by(Newsletter.language)
        )
    )
    if not versions:
        raise ValidationFailed(
            [
                f"issue {slug!r} is not published (status {first.status}): publish it "
                "before sending"
            ]
        )
    due = [v for v in versions if v.published_at is not None and v.published_at <= now]
    if not due:
        raise ValidationFailed(
            [
                f"issue {slug!r} is scheduled for later: its web version is not online "
                "yet, so it cannot be sent"
            ]
        )
    return due
