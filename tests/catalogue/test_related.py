"""Related items: the two-step query gives the full ranking's answer."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from comms.catalogue import related
from comms.catalogue.models import Item
from tests.factories import make_item

TAGS = ["clusters", "tourism", "energy"]
REGIONS = ["bayern", "lombardia"]


def _expected(items: list[Item], item: Item, now: datetime) -> list[str]:
    """The ranking written out: items published up to the item's date, shared
    topics, three per shared region, then newest."""
    scored = []
    for other in items:
        public = other.status == "published" and other.published_at <= now
        if other.id == item.id or not public or other.published_at > item.published_at:
            continue
        score = len(set(other.tag_names) & set(item.tag_names)) + 3 * len(
            set(other.region_names) & set(item.region_names)
        )
        if score:
            scored.append((-score, -other.published_at.timestamp(), -other.id, other))
    return [row[-1].slug for row in sorted(scored, key=lambda row: row[:3])[:4]]


@pytest.mark.parametrize("window", [8, 1_000])
def test_related_items_match_the_full_ranking(session, monkeypatch, window):
    """Whether the items before the item's date sharing everything fill the list
    or not, and whether the window reaches back to the first item or not."""
    monkeypatch.setattr(related, "RECENT_WINDOW", window)
    ways: list[str] = []
    for name in ("_sharing_all", "_scored_window", "_ranked"):
        monkeypatch.setattr(
            related, name,
            lambda *shape, name=name, way=getattr(related, name): (
                ways.append(name), way(*shape)
            )[1],
        )  # fmt: skip
    chance = random.Random(19)
    now = datetime.now(UTC)
    items = [
        make_item(
            session,
            commit=False,
            tags=chance.sample(TAGS, chance.randint(0, 2)),
            regions=chance.sample(REGIONS, chance.randint(0, 1)),
            status="draft" if n % 9 == 0 else "published",
            # some share a time (newer id first), a few are not due yet
            published_at=now + timedelta(hours=chance.randint(-40, 2)),
        )
        for n in range(60)
    ]
    session.commit()
    answered_by = set()
    for item in items:
        ways.clear()
        found = related.related_items(
            session, item, default_language="en", now=now, video_types=None
        )
        assert [other.slug for other in found] == _expected(items, item, now), item
        answered_by.update(ways[-1:])
    # every way to the answer gave some (the last: where the window does not
    # reach back to the first item, or holds nothing related)
    assert {"_sharing_all", "_scored_window", "_ranked"} <= answered_by
