"""Who gets what of an issue: the entries matching a subscriber's choices, and
which subscribers' languages the issue has no version in.

The rule (also in the README's newsletter section): an entry matches a subscriber
when it shares at least one topic (tag) or one region with the subscriber's
choices; a subscriber who chose no topic and no region gets every entry. The
editorial intro goes to everyone who gets the issue; a subscriber whom no entry
matches is not sent the issue at all (the report counts them as "skipped:
nothing matching").
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comms.catalogue.models import Item
from comms.newsletter.models import Subscriber
from comms.newsletter.service import KindGroup

# (kind, slug): how an issue names an entry, in every language version.
EntryKey = tuple[str, str]


def matches(
    tags: Collection[str],
    regions: Collection[str],
    topics: Collection[str],
    chosen_regions: Collection[str],
) -> bool:
    """True when an entry with ``tags`` and ``regions`` suits these choices."""
    if not topics and not chosen_regions:
        return True
    return bool(set(tags) & set(topics)) or bool(set(regions) & set(chosen_regions))


def item_matches(item: Item, topics: Collection[str], regions: Collection[str]) -> bool:
    """True when ``item`` suits a subscriber who chose ``topics`` and ``regions``."""
    return matches(item.tag_names, item.region_names, topics, regions)


def matching_keys(
    groups: Sequence[KindGroup],
    topics: Collection[str],
    regions: Collection[str],
) -> frozenset[EntryKey]:
    """The entries of ``groups`` that suit the choices (empty: send nothing)."""
    return frozenset(
        (item.kind, item.slug)
        for group in groups
        for item in group.items
        if item_matches(item, topics, regions)
    )


def select_groups(
    groups: Sequence[KindGroup], keys: Collection[EntryKey]
) -> list[KindGroup]:
    """``groups`` cut down to the entries in ``keys``, empty groups dropped."""
    kept = []
    for group in groups:
        items = [i for i in group.items if (i.kind, i.slug) in keys]
        if items:
            kept.append(KindGroup(kind=group.kind, label=group.label, items=items))
    return kept


@dataclass(frozen=True)
class LanguageGap:
    """Confirmed subscribers reading a language the issue has no version in."""

    language: str
    count: int
    fallback: str  # the language of the version they get instead


def fallback_language(languages: Collection[str], wanted: str, default: str) -> str:
    """The version a reader of ``wanted`` gets: theirs, else the default, else the
    first by language code (``sending.Editions`` sends that one)."""
    if wanted in languages:
        return wanted
    if default in languages:
        return default
    return sorted(languages)[0]


def language_gaps(
    session: Session, languages: Collection[str], default: str
) -> list[LanguageGap]:
    """For each language of confirmed subscribers missing from ``languages``."""
    if not languages:
        return []
    rows = session.execute(
        select(Subscriber.language, func.count())
        .where(Subscriber.status == "confirmed")
        .group_by(Subscriber.language)
        .order_by(Subscriber.language)
    )
    return [
        LanguageGap(str(lang), int(n), fallback_language(languages, str(lang), default))
        for lang, n in rows
        if lang not in languages
    ]
