"""A fake of YouTube's oEmbed endpoint on 127.0.0.1, with the thumbnails it names.

Built from the oEmbed 1.0 specification (https://oembed.com, section 2.3: the
response fields ``type``, ``version``, ``title``, ``author_name``, ``author_url``,
``provider_name``, ``provider_url``, ``thumbnail_url``, ``thumbnail_width``,
``thumbnail_height``, and for the ``video`` type ``html``, ``width``, ``height``)
and what YouTube answers: 401 for a private or embedding-disabled video, 404 for
one that does not exist, 400 for an address that is not a video's.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.videos.fake_youtube import THUMBNAIL


@dataclass
class OEmbedVideo:
    """A video the fake knows, and how it answers (200, 401 or 404)."""

    id: str
    title: str
    author_name: str = "S3-4AlpClusters"
    status: int = 200


class FakeOEmbed:
    """GET /oembed?url=...&format=json, and GET /vi/<id>/hqdefault.jpg."""

    def __init__(self) -> None:
        self.videos: dict[str, OEmbedVideo] = {}
        self.calls: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """The server's root URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The endpoint to give as COMMS_YOUTUBE_OEMBED_URL."""
        return f"{self.base}/oembed"

    def add(self, video_id: str, title: str, status: int = 200) -> None:
        """Know a video (status 401: private; 404: removed)."""
        self.videos[video_id] = OEmbedVideo(video_id, title, status=status)

    def start(self) -> FakeOEmbed:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def answer(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        """The status and JSON body for an oEmbed request."""
        url = (query.get("url") or [""])[0]
        if (query.get("format") or ["json"])[0] != "json":
            return 501, {"error": "Not Implemented"}
        video_id = (parse_qs(urlsplit(url).query).get("v") or [""])[0]
        if not video_id:
            return 400, "Bad Request"
        video = self.videos.get(video_id)
        if video is None:
            return 404, "Not Found"
        if video.status != 200:
            return video.status, "Unauthorized" if video.status == 401 else "Error"
        return 200, {
            "type": "video",
            "version": "1.0",
            "title": video.title,
            "author_name": video.author_name,
            "author_url": "https://www.youtube.com/@alpclusters",
            "provider_name": "YouTube",
            "provider_url": "https://www.youtube.com/",
            "thumbnail_url": f"{self.base}/vi/{video.id}/hqdefault.jpg",
            "thumbnail_width": 480,
            "thumbnail_height": 360,
            "width": 200,
            "height": 113,
            "html": (
                f'<iframe width="200" height="113" src="https://www.youtube.com/embed/'
                f'{video.id}?feature=oembed" frameborder="0" allowfullscreen '
                f'title="{video.title}"></iframe>'
            ),
        }


def _handler(fake: FakeOEmbed) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if parts.path.startswith("/vi/"):
                fake.calls["thumbnail"] += 1
                self._send(200, THUMBNAIL, "image/jpeg")
                return
            if parts.path != "/oembed":
                self._send(404, b"Not Found", "text/plain")
                return
            fake.calls["oembed"] += 1
            status, body = fake.answer(parse_qs(parts.query))
            if isinstance(body, str):
                self._send(status, body.encode(), "text/html; charset=utf-8")
            else:
                self._send(status, json.dumps(body).encode(), "application/json")

    return Handler
