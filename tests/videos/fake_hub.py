"""A fake WebSub hub on 127.0.0.1, built from the W3C WebSub recommendation.

It takes subscription requests (form POST: hub.mode, hub.topic, hub.callback,
hub.lease_seconds, hub.secret), answers 202 and then verifies the subscriber's
intent with a GET carrying hub.challenge, as YouTube's hub does. It publishes
notifications signed with ``X-Hub-Signature: sha1=...``, and can be told to
refuse requests, grant another lease, verify with a wrong topic or deny.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from tests.videos.fake_youtube import CHANNEL_ID

MAX_LEASE = 864000  # Google's hub grants at most ten days


@dataclass
class Verification:
    """One intent verification the hub sent, and how the subscriber answered."""

    mode: str
    topic: str
    callback: str
    status: int
    body: str
    challenge: str

    @property
    def confirmed(self) -> bool:
        """2xx with the challenge echoed: the subscription (un)does."""
        return 200 <= self.status < 300 and self.body == self.challenge


def notification(video_id: str, channel_id: str = CHANNEL_ID, title: str = "") -> bytes:
    """An upload or edit notification in the shape YouTube's push guide shows."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015"
      xmlns="http://www.w3.org/2005/Atom">
  <link rel="hub" href="https://pubsubhubbub.appspot.com"/>
  <link rel="self"
    href="https://www.youtube.com/xml/feeds/videos.xml?channel_id={channel_id}"/>
  <title>YouTube video feed</title>
  <updated>2026-12-06T09:05:24.552394234+00:00</updated>
  <entry>
    <id>yt:video:{video_id}</id>
    <yt:videoId>{video_id}</yt:videoId>
    <yt:channelId>{channel_id}</yt:channelId>
    <title>{title or "Video title"}</title>
    <link rel="alternate" href="http://www.youtube.com/watch?v={video_id}"/>
    <author>
     <name>Channel title</name>
     <uri>http://www.youtube.com/channel/{channel_id}</uri>
    </author>
    <published>2026-12-06T08:40:57+00:00</published>
    <updated>2026-12-06T09:05:24.552394234+00:00</updated>
  </entry>
</feed>
""".encode()


def tombstone(video_id: str, channel_id: str = CHANNEL_ID) -> bytes:
    """The deleted-entry notification YouTube sends when a video is deleted."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:at="http://purl.org/atompub/tombstones/1.0"
      xmlns="http://www.w3.org/2005/Atom">
  <at:deleted-entry ref="yt:video:{video_id}"
      when="2026-12-06T09:05:24.552394234+00:00">
    <link href="https://www.youtube.com/watch?v={video_id}"/>
    <at:by>
      <name>Channel title</name>
      <uri>https://www.youtube.com/channel/{channel_id}</uri>
    </at:by>
  </at:deleted-entry>
</feed>
""".encode()


def sign(secret: str, body: bytes, algorithm: str = "sha1") -> str:
    """The X-Hub-Signature value for ``body``."""
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}"


class FakeHub:
    """The hub; ``subscriptions`` maps (callback, topic) to (secret, lease)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.verifications: list[Verification] = []
        self.subscriptions: dict[tuple[str, str], tuple[str, int]] = {}
        self.refuse: tuple[int, str] | None = None  # answer requests with this
        self.grant_lease: int | None = None  # grant this lease, not the asked one
        self.verify_topic: str | None = None  # verify with this topic instead
        self.deny: str | None = None  # deny with this reason instead of verifying
        self._done = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The hub's subscription endpoint, for COMMS_WEBSUB_YOUTUBE_HUB."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/subscribe"

    def start(self) -> FakeHub:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def wait_verifications(self, count: int, timeout: float = 10.0) -> None:
        """Block until ``count`` verifications (or denials) have been sent."""
        with self._done:
            if not self._done.wait_for(
                lambda: len(self.verifications) >= count, timeout
            ):
                raise AssertionError(f"the hub sent {len(self.verifications)} checks")

    def accept(self, form: dict[str, str]) -> tuple[int, str]:
        """Answer one subscription request (WebSub 5.1)."""
        missing = [
            name
            for name in ("hub.mode", "hub.topic", "hub.callback")
            if not form.get(name)
        ]
        if missing:
            return 400, f"missing {', '.join(missing)}"
        if form["hub.mode"] not in ("subscribe", "unsubscribe"):
            return 400, "hub.mode must be subscribe or unsubscribe"
        self.requests.append(form)
        if self.refuse is not None:
            return self.refuse
        threading.Thread(target=self._verify, args=(form,), daemon=True).start()
        return 202, ""

    def _verify(self, form: dict[str, str]) -> None:
        """Verification of intent (WebSub 5.3), or a denial (5.2)."""
        mode, topic, callback = (
            form["hub.mode"],
            form["hub.topic"],
            form["hub.callback"],
        )
        challenge = secrets.token_urlsafe(16)
        if self.deny is not None:
            query = {"hub.mode": "denied", "hub.topic": topic, "hub.reason": self.deny}
        else:
            query = {
                "hub.mode": mode,
                "hub.topic": self.verify_topic or topic,
                "hub.challenge": challenge,
            }
            asked = int(form.get("hub.lease_seconds") or MAX_LEASE)
            lease = self.grant_lease or min(asked, MAX_LEASE)
            if mode == "subscribe":
                query["hub.lease_seconds"] = str(lease)
        sep = "&" if "?" in callback else "?"
        status, body = _get(f"{callback}{sep}{urlencode(query)}")
        check = Verification(mode, topic, callback, status, body, challenge)
        if self.deny is None and check.confirmed:
            if mode == "subscribe":
                self.subscriptions[(callback, topic)] = (
                    form.get("hub.secret", ""),
                    lease,
                )
            else:
                self.subscriptions.pop((callback, topic), None)
        with self._done:
            self.verifications.append(check)
            self._done.notify_all()

    def publish(
        self,
        body: bytes,
        *,
        topic: str | None = None,
        signature: str | None = None,
        algorithm: str = "sha1",
        unsigned: bool = False,
    ) -> list[int]:
        """Deliver ``body`` to every subscriber of ``topic`` (content distribution)."""
        statuses = []
        for (callback, subscribed), (secret, _lease) in list(
            self.subscriptions.items()
        ):
            if topic is not None and subscribed != topic:
                continue
            headers = {"Content-Type": "application/atom+xml"}
            if not unsigned:
                headers["X-Hub-Signature"] = signature or sign(secret, body, algorithm)
            statuses.append(_post(callback, body, headers))
        return statuses


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            if self.path != "/subscribe":
                status, text = 404, "not found"
            elif not self.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                status, text = 400, "send a form"
            else:
                status, text = hub.accept(form)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
