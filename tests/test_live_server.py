"""The browser tests' live server releases what a response holds when a client
drops the connection mid-body, as Chromium does with images it no longer needs."""

from __future__ import annotations

import gc
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

from tests.browser import serve

ROUNDS = 20


class Body:
    """A response body that records whether the server closed it."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(3):
            yield b"x" * 1_024

    def close(self) -> None:
        self.closed.set()


def _all_closed(bodies: list[Body]) -> bool:
    return all(body.closed.is_set() for body in bodies)


def test_a_body_is_closed_when_the_client_resets_the_connection() -> None:
    bodies: list[Body] = []

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        body = Body()
        bodies.append(body)
        return body

    with serve(app) as base:  # type: ignore[arg-type]
        port = int(base.rsplit(":", 1)[1])
        for _ in range(ROUNDS):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert client.recv(16, socket.MSG_PEEK).startswith(b"HTTP/1.1 200")
            # A reset while the server drains the socket after the body (as when a
            # page closes with its images in flight): its read there fails.
            reset = struct.pack("ii", 1, 0)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, reset)
            client.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _all_closed(bodies):
            gc.collect()
            time.sleep(0.05)
    assert len(bodies) == ROUNDS
    assert [b.closed.is_set() for b in bodies] == [True] * ROUNDS
