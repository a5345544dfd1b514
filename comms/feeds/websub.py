"""WebSub: tell the hub named in COMMS_WEBSUB_HUB that feeds changed."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.catalogue.models import KINDS
from comms.catalogue.stamp import SiteState
from comms.config import Settings
from comms.feeds.service import FeedScope, feed_url

log = logging.getLogger(__name__)
PING_TIMEOUT = 5.0


def catalogue_version(session: Session) -> int:
    """The catalogue's change counter (bumped by every commit that changes it)."""
    value = session.scalar(select(SiteState.value).where(SiteState.name == "catalogue"))
    return int(value or 0)


def publish_topics(settings: Settings, default_language: str) -> list[str]:
    """The feed URLs a publish changes: the site's and each kind's, every format."""
    scopes = [FeedScope(), *(FeedScope(kind=kind) for kind in KINDS)]
    return [
        feed_url(settings.site_url, scope, fmt, default_language, default_language)
        for scope in scopes
        for fmt in ("xml", "atom", "json")
    ]


def ping_hub(settings: Settings, topic_urls: Iterable[str]) -> int:
    """POST ``hub.mode=publish`` for each topic to the hub; return how many it took.

    Does nothing without a hub. Stops at the first connection failure, logging it:
    a hub that is down must never fail an import or a publish.
    """
    hub = settings.websub_hub
    if not hub:
        return 0
    if not hub.startswith(("http://", "https://")):
        log.warning("COMMS_WEBSUB_HUB is not an http(s) URL: %s", hub)
        return 0
    accepted = 0
    for topic in topic_urls:
        data = urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii")
        ping = urllib.request.Request(hub, data=data, method="POST")  # noqa: S310
        ping.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(ping, timeout=PING_TIMEOUT) as answer:  # noqa: S310
                accepted += 1 if 200 <= answer.status < 300 else 0
        except urllib.error.HTTPError as exc:
            log.warning("WebSub hub refused %s: HTTP %s", topic, exc.code)
        except OSError as exc:
            log.warning("WebSub hub %s unreachable: %s", hub, exc)
            break
    return accepted


def ping_if_changed(
    settings: Settings, session: Session, before: int, default_language: str
) -> int | None:
    """Ping the hub when the catalogue version moved past ``before``; None if not."""
    if not settings.websub_hub or catalogue_version(session) == before:
        return None
    return ping_hub(settings, publish_topics(settings, default_language))
