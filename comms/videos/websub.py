"""The WebSub (PubSubHubbub) side of YouTube push: the hub client and the payloads.

Built from the W3C WebSub recommendation and YouTube's push notification guide:
the subscriber POSTs a form to the hub, the hub verifies our intent with a GET to
the callback, then POSTs each notification as an Atom document signed with
``X-Hub-Signature: sha1=<hex HMAC of the raw body>`` under the secret we gave.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from lxml import etree

from comms.errors import CommsError

TOPIC = "https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel_id}"
CALLBACK_PATH = "/websub/youtube/"
MAX_BODY = 256 * 1024  # a notification is about 1 KB; a feed of 15 entries ~20 KB
ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
_ATOM = "http://www.w3.org/2005/Atom"
_YT = "http://www.youtube.com/xml/schemas/2015"
_TOMBSTONE = "http://purl.org/atompub/tombstones/1.0"
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class HubError(CommsError):
    """The hub refused the request or could not be reached."""


class HubUnreachable(HubError):
    """No answer from the hub: it may have taken the request all the same."""


class BadNotification(CommsError):
    """A signed notification that is not the Atom document YouTube sends."""


@dataclass(frozen=True)
class Notice:
    """One video a notification names: uploaded or edited, or deleted."""

    video_id: str
    channel_id: str | None
    deleted: bool = False


def topic_for(channel_id: str) -> str:
    """The channel's upload feed, the topic YouTube's hub publishes."""
    if not _CHANNEL_ID.match(channel_id):
        raise ValueError(f"not a YouTube channel id: {channel_id!r}")
    return TOPIC.format(channel_id=channel_id)


def request(
    hub: str,
    *,
    mode: str,
    topic: str,
    callback: str,
    secret: str,
    lease_seconds: int,
    timeout: float,
) -> int:
    """Ask the hub to (un)subscribe; return its 2xx status, else raise HubError.

    The hub answers 202 and verifies our intent later, with a GET to ``callback``.
    """
    parts = urlsplit(hub)
    if parts.scheme != "https" and parts.hostname not in _LOOPBACK:
        # The secret travels in the form: only over TLS (or on this machine).
        raise HubError(f"the hub {hub} is not https: the secret would travel in clear")
    form = {
        "hub.mode": mode,
        "hub.topic": topic,
        "hub.callback": callback,
        "hub.verify": "async",  # PubSubHubbub 0.3 hubs (Google's) read it
    }
    if mode == "subscribe":
        form["hub.lease_seconds"] = str(lease_seconds)
        form["hub.secret"] = secret
    try:
        answer = requests.post(hub, data=form, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        raise HubUnreachable(
            f"the hub {hub} did not answer within {timeout:g} s"
        ) from None
    except requests.RequestException as exc:
        raise HubUnreachable(
            f"the hub {hub} is unreachable ({type(exc).__name__})"
        ) from None
    status = int(answer.status_code)
    if not 200 <= status < 300:
        said = " ".join(answer.text[:300].split())
        said = f"HTTP {status}: {said}" if said else f"HTTP {status}"
        raise HubError(f"the hub {hub} refused to {mode} ({said})")
    return status


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``X-Hub-Signature`` is the HMAC of ``body`` under ``secret``."""
    if not header or "=" not in header:
        return False
    method, _, given = header.strip().partition("=")
    digest = ALGORITHMS.get(method.strip().lower())
    if digest is None:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def _parser() -> etree.XMLParser:
    # No entities, no DTD, no network: a notification is a small plain document.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )


def parse_notification(body: bytes) -> list[Notice]:
    """The videos an Atom notification names (entries and deleted entries)."""
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise BadNotification(f"the notification is not XML ({exc})") from None
    if root.tag != f"{{{_ATOM}}}feed":
        raise BadNotification("the notification is not an Atom feed")
    notices: list[Notice] = []
    for entry in root.iter(f"{{{_ATOM}}}entry"):
        video_id = (entry.findtext(f"{{{_YT}}}videoId") or "").strip()
        channel_id = (entry.findtext(f"{{{_YT}}}channelId") or "").strip()
        if _VIDEO_ID.match(video_id):
            notices.append(Notice(video_id, channel_id or None))
    for gone in root.iter(f"{{{_TOMBSTONE}}}deleted-entry"):
        video_id = (gone.get("ref") or "").strip().removeprefix("yt:video:")
        uri = (gone.findtext(f"{{{_TOMBSTONE}}}by/{{{_ATOM}}}uri") or "").strip()
        channel_id = uri.rstrip("/").rsplit("/", 1)[-1] if uri else ""
        if _VIDEO_ID.match(video_id):
            notices.append(Notice(video_id, channel_id or None, deleted=True))
    return notices
