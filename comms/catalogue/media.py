"""Which media a visitor may fetch: only what a page that answers now links.

An item's image and the files its body links are public exactly while the item's
page answers (published or archived, due, and for videos shown); so are the files a
published newsletter's introduction links. A draft's, a scheduled item's or a
replaced image is not public, whatever URL asks for it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from comms.catalogue.models import Item, Newsletter
from comms.catalogue.service import reachable

# Item-bound media may stop being public at any time (unpublished, replaced, an
# embargo not yet over): a short max-age plus validators, never a long cache.
MEDIA_MAX_AGE = 60


def linked_publicly(session: Session, path: str, *, now: datetime) -> bool:
    """True when an item or newsletter whose page answers now links ``path``."""
    # Rendered Markdown quotes every attribute with ", so this matches the whole
    # path (`/media/map.png` does not match `/media/map.png.bak`).
    in_html = f'{path}"'
    item = select(Item.id).where(
        reachable(now),
        or_(Item.image == path, Item.body_html.contains(in_html, autoescape=True)),
    )
    if session.scalars(item.limit(1)).first() is not None:
        return True
    letter = select(Newsletter.id).where(
        Newsletter.status.in_(("published", "archived")),
        Newsletter.published_at <= now,
        Newsletter.intro_html.contains(in_html, autoescape=True),
    )
    return session.scalars(letter.limit(1)).first() is not None
