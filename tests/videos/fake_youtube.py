"""A fake YouTube Data API v3 on 127.0.0.1 for tests and the bench.

Serves /youtube/v3/channels, /playlistItems and /videos with the shapes and error
bodies of docs/youtube-data-api.md, plus thumbnails under /vi/<id>/<size>.jpg.
It counts requests and has a switch for every fault the sync must survive.
Run as `python -m tests.videos.fake_youtube --videos 5000` to serve from another
process (prints the root URL, serves until stdin closes).
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY = "test-api-key"
CHANNEL_ID = "UCtestchannel000000000A1"  # UC + 22 characters
HANDLE = "@alpclusters"
# A 4x3 red JPEG: what a "fetched" thumbnail looks like (not the site's placeholder).
THUMBNAIL = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYa"
    "HSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgo"
    "KCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAADAAQDASIAAhEBAxEB/8QA"
    "HwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIh"
    "MUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW"
    "V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXG"
    "x8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQF"
    "BgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAV"
    "YnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOE"
    "hYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq"
    "8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDgKKKK+eP2E//Z"
)
SIZES = {
    "default": (120, 90),
    "medium": (320, 180),
    "high": (480, 360),
    "standard": (640, 480),
    "maxres": (1280, 720),
}
API = ("channels", "playlistItems", "videos")


def error_body(code: int, message: str, reason: str, domain: str, **extra: Any) -> dict:
    """An error answer in Google's JSON shape."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    error.update(extra)
    return {"error": error}


QUOTA = error_body(
    403,
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.',
    "quotaExceeded",
    "youtube.quota",
)
DAILY = error_body(403, "Daily Limit Exceeded.", "dailyLimitExceeded", "usageLimits")
RATE = error_body(403, "Rate Limit Exceeded", "rateLimitExceeded", "usageLimits")
SERVER = error_body(
    503, "The service is currently unavailable.", "backendError", "global"
)
KEY_NEW = error_body(
    400,
    "API key not valid. Please pass a valid API key.",
    "badRequest",
    "global",
    status="INVALID_ARGUMENT",
    details=[
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "youtube.googleapis.com"},
        }
    ],
)
KEY_OLD = error_body(400, "Bad Request", "keyInvalid", "usageLimits")
CHANNEL_404 = error_body(
    404,
    "The channel identified with the request's id parameter cannot be found.",
    "channelNotFound",
    "youtube.channel",
)
PLAYLIST_404 = {
    "error": {
        "code": 404,
        "message": "The playlist identified with the request's <code>playlistId</code>"
        " parameter cannot be found.",
        "errors": [
            {
                "message": "The playlist identified with the request's "
                "<code>playlistId</code> parameter cannot be found.",
                "domain": "youtube.playlistItem",
                "reason": "playlistNotFound",
                "location": "playlistId",
                "locationType": "parameter",
            }
        ],
    }
}
HTML_502 = (
    b"<!DOCTYPE html><html><body><p><b>502.</b> That's an error.</p></body></html>"
)


@dataclass
class FakeVideo:
    """One upload of the fake channel."""

    id: str
    title: str
    published_at: datetime
    description: str = ""
    tags: list[str] | None = None
    privacy: str = "public"  # public, unlisted, private, deleted
    duration: str = "PT4M13S"
    live: str = "none"  # none, upcoming, live
    live_details: dict[str, str] | None = None
    default_language: str | None = None
    views: int = 100
    likes: int | None = 10
    comments: int | None = 2
    sizes: tuple[str, ...] = ("default", "medium", "high", "standard")
    extra_thumbnails: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Failure:
    """A fault served on an endpoint after ``after`` good answers, ``times`` times."""

    mode: str
    on: str | None = None
    after: int = 0
    times: int | None = None
    served: int = 0


def make_videos(count: int, *, prefix: str = "v") -> list[FakeVideo]:
    """``count`` public videos, newest first, ids of 11 characters."""
    start = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)
    return [
        FakeVideo(
            id=f"{prefix}{n:0{11 - len(prefix)}d}",
            title=f"Cluster film {n}",
            description=f"Film number {n} of the project.\n\nMore at https://example.org/{n}",
            tags=["Clusters", "Smart specialisation"],
            published_at=start + timedelta(hours=n),
            views=1000 + n,
        )
        for n in reversed(range(count))
    ]


class FakeYouTube:
    """The fake API server; ``videos`` is the uploads playlist, newest first."""

    def __init__(self, videos: list[FakeVideo] | None = None) -> None:
        self.videos: list[FakeVideo] = list(videos or [])
        self.key = API_KEY
        self.channel_id = CHANNEL_ID
        self.handle = HANDLE
        self.key_error: dict = KEY_NEW
        self.failures: list[Failure] = []
        self.thumbnail_mode: str | None = None  # None, "404", "html", "hang"
        self.placeholders = False  # show private/deleted as playlist placeholders
        self.report_video_count = True
        self.hang_seconds = 10.0
        self.calls: Counter[str] = Counter()
        self.requests: list[str] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The API root to give as COMMS_YOUTUBE_API_ENDPOINT."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def units(self) -> int:
        """Quota units the API calls would have cost (1 per list request)."""
        return sum(self.calls[name] for name in API)

    def start(self) -> FakeYouTube:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release any hanging request."""
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def fail(
        self, mode: str, on: str | None = None, after: int = 0, times: int | None = None
    ) -> None:
        """Serve the fault ``mode`` on endpoint ``on`` (every API one if None)."""
        self.failures.append(Failure(mode, on, after, times))

    def reset_counts(self) -> None:
        """Forget the requests counted so far."""
        with self._lock:
            self.calls.clear()
            self.requests.clear()

    def video(self, video_id: str) -> FakeVideo:
        """The fake video with this id."""
        return next(v for v in self.videos if v.id == video_id)

    @property
    def uploads(self) -> str:
        """The uploads playlist id (UC -> UU)."""
        return "UU" + self.channel_id[2:]

    # --- answers ----------------------------------------------------------------

    def _fault(self, endpoint: str) -> str | None:
        with self._lock:
            self.calls[endpoint] += 1
            for failure in self.failures:
                if failure.on not in (None, endpoint):
                    continue
                if failure.after > 0:
                    failure.after -= 1
                    continue
                if failure.times is not None and failure.served >= failure.times:
                    continue
                failure.served += 1
                return failure.mode
        return None

    def channels(self, query: dict[str, str]) -> dict:
        """channels.list by forHandle or id."""
        handle = query.get("forHandle", "")
        wanted = query.get("id", "")
        found = (
            handle.lstrip("@").lower() == self.handle.lstrip("@").lower()
            if handle
            else wanted == self.channel_id
        )
        body: dict[str, Any] = {
            "kind": "youtube#channelListResponse",
            "etag": "etag-channels",
            "pageInfo": {"totalResults": 1 if found else 0, "resultsPerPage": 5},
        }
        if found:
            public = [v for v in self.videos if v.privacy == "public"]
            channel: dict[str, Any] = {
                "kind": "youtube#channel",
                "etag": "etag-channel",
                "id": self.channel_id,
                "snippet": {
                    "title": "S3-4AlpClusters",
                    "description": "The project's films",
                    "customUrl": self.handle.lower(),
                    "publishedAt": "2016-11-01T10:00:00Z",
                },
                "contentDetails": {
                    "relatedPlaylists": {"likes": "", "uploads": self.uploads}
                },
            }
            if self.report_video_count:
                channel["statistics"] = {
                    "viewCount": "12345",
                    "subscriberCount": "120",
                    "hiddenSubscriberCount": False,
                    "videoCount": str(len(public)),
                }
            body["items"] = [channel]
        return body

    def playlist_items(self, query: dict[str, str]) -> tuple[int, dict]:
        """playlistItems.list: pages of the uploads playlist."""
        if query.get("playlistId") != self.uploads:
            return 404, PLAYLIST_404
        size = int(query.get("maxResults", "5"))
        if not 0 <= size <= 50:
            return 400, error_body(
                400, "Invalid maxResults", "invalidParameter", "global"
            )
        token = query.get("pageToken")
        offset = int(base64.urlsafe_b64decode(token).decode()[2:]) if token else 0
        shown = [
            v
            for v in self.videos
            if v.privacy == "public" or (self.placeholders and v.privacy != "unlisted")
        ]
        page = shown[offset : offset + size]
        items = []
        for number, v in enumerate(page, start=offset):
            if v.privacy == "public":
                details = {
                    "videoId": v.id,
                    "videoPublishedAt": v.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                privacy = "public"
            else:
                details = {"videoId": v.id}
                privacy = (
                    "private" if v.privacy == "private" else "privacyStatusUnspecified"
                )
            items.append(
                {
                    "kind": "youtube#playlistItem",
                    "etag": f"etag-pi-{v.id}",
                    "id": f"UExpdGVt{number}",
                    "contentDetails": details,
                    "status": {"privacyStatus": privacy},
                }
            )
        body: dict[str, Any] = {
            "kind": "youtube#playlistItemListResponse",
            "etag": f"etag-page-{offset}",
            "items": items,
            "pageInfo": {"totalResults": len(shown), "resultsPerPage": size},
        }
        if offset + size < len(shown):
            body["nextPageToken"] = base64.urlsafe_b64encode(
                f"p:{offset + size}".encode()
            ).decode()
        if offset:
            body["prevPageToken"] = base64.urlsafe_b64encode(
                f"p:{max(0, offset - size)}".encode()
            ).decode()
        return 200, body

    def videos_list(self, query: dict[str, list[str]]) -> dict:
        """videos.list: the public and unlisted videos among the ids."""
        ids = [i for value in query.get("id", []) for i in value.split(",") if i]
        parts = {p for value in query.get("part", []) for p in value.split(",")}
        by_id = {v.id: v for v in self.videos}
        items = []
        for video_id in ids:
            v = by_id.get(video_id)
            if v is None or v.privacy in ("private", "deleted"):
                continue  # left out silently, as YouTube does
            items.append(self._video(v, parts))
        return {
            "kind": "youtube#videoListResponse",
            "etag": "etag-videos",
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }

    def _video(self, v: FakeVideo, parts: set[str]) -> dict:
        resource: dict[str, Any] = {
            "kind": "youtube#video",
            "etag": f"e-{v.id}",
            "id": v.id,
        }
        thumbs = {
            name: {
                "url": f"{self.url}/vi/{v.id}/{name}.jpg",
                "width": SIZES[name][0],
                "height": SIZES[name][1],
            }
            for name in v.sizes
        }
        thumbs.update(v.extra_thumbnails)
        if "snippet" in parts:
            snippet: dict[str, Any] = {
                "publishedAt": v.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "channelId": self.channel_id,
                "title": v.title,
                "description": v.description,
                "thumbnails": thumbs,
                "channelTitle": "S3-4AlpClusters",
                "categoryId": "27",
                "liveBroadcastContent": v.live,
                "localized": {"title": v.title, "description": v.description},
            }
            if v.tags:
                snippet["tags"] = v.tags
            if v.default_language:
                snippet["defaultLanguage"] = v.default_language
            resource["snippet"] = snippet
        if "contentDetails" in parts:
            resource["contentDetails"] = {
                "duration": v.duration,
                "dimension": "2d",
                "definition": "hd",
                "caption": "false",
                "licensedContent": False,
                "contentRating": {},
                "projection": "rectangular",
            }
        if "statistics" in parts:
            stats = {"viewCount": str(v.views), "favoriteCount": "0"}
            if v.likes is not None:
                stats["likeCount"] = str(v.likes)
            if v.comments is not None:
                stats["commentCount"] = str(v.comments)
            resource["statistics"] = stats
        if "status" in parts:
            resource["status"] = {
                "uploadStatus": "processed",
                "privacyStatus": v.privacy,
                "license": "youtube",
                "embeddable": True,
                "publicStatsViewable": True,
                "madeForKids": False,
            }
        if "liveStreamingDetails" in parts and v.live_details:
            resource["liveStreamingDetails"] = v.live_details
        return resource


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and hangs are on purpose


def _handler(fake: FakeYouTube) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: Any) -> None:
            self._send(
                status, json.dumps(body).encode(), "application/json; charset=UTF-8"
            )

        def _reset(self) -> None:
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            self.connection.close()
            self.close_connection = True

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            with fake._lock:
                fake.requests.append(self.path)
            if parts.path.startswith("/vi/"):
                self._thumbnail()
                return
            endpoint = parts.path.removeprefix("/youtube/v3/")
            if endpoint not in API:
                self._json(404, error_body(404, "Not Found", "notFound", "global"))
                return
            multi = parse_qs(parts.query)
            query = {k: v[-1] for k, v in multi.items()}
            mode = fake._fault(endpoint)
            if query.get("key") != fake.key:
                self._json(400, fake.key_error)
                return
            if mode is not None and self._serve_fault(mode):
                return
            if endpoint == "channels":
                self._json(200, fake.channels(query))
            elif endpoint == "playlistItems":
                self._json(*fake.playlist_items(query))
            else:
                self._json(200, fake.videos_list(multi))

        def _serve_fault(self, mode: str) -> bool:
            if mode == "quota":
                self._json(403, QUOTA)
            elif mode == "daily":
                self._json(403, DAILY)
            elif mode == "rate":
                self._json(403, RATE)
            elif mode == "server":
                self._json(503, SERVER)
            elif mode == "html502":
                self._send(502, HTML_502, "text/html; charset=UTF-8")
            elif mode == "reset":
                self._reset()
            elif mode == "hang":
                fake.release.wait(fake.hang_seconds)
                self._reset()
            elif mode == "pause":  # wait for fake.release, then answer normally
                fake.release.wait(fake.hang_seconds)
                return False
            elif mode == "broken_json":
                self._send(
                    200,
                    b'{"kind": "youtube#videoListResponse", "items": [',
                    "application/json",
                )
            elif mode == "malformed":
                self._json(200, {"kind": "youtube#videoListResponse", "items": "none"})
            elif mode == "channel_404":
                self._json(404, CHANNEL_404)
            elif mode == "playlist_404":
                self._json(404, PLAYLIST_404)
            elif mode == "key_old":
                self._json(400, KEY_OLD)
            elif mode == "key_new":
                self._json(400, KEY_NEW)
            else:
                return False
            return True

        def _thumbnail(self) -> None:
            with fake._lock:
                fake.calls["thumbnail"] += 1
            mode = fake.thumbnail_mode
            if mode == "404":
                self._send(404, b"not found", "text/plain")
            elif mode == "html":
                self._send(200, b"<html>not an image</html>", "text/html")
            elif mode == "hang":
                fake.release.wait(fake.hang_seconds)
                self._reset()
            else:
                self._send(200, THUMBNAIL, "image/jpeg")

    return Handler


def main() -> None:
    """Serve a channel of --videos N videos until stdin closes."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--videos", type=int, default=120)
    args = parser.parse_args()
    fake = FakeYouTube(make_videos(args.videos)).start()
    print(fake.url, flush=True)
    sys.stdin.read()
    fake.stop()


if __name__ == "__main__":
    main()
