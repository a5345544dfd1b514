"""A fixed-window rate limit per client address, kept in this process's memory.

Each worker process counts on its own: with N gunicorn workers a client may make up
to N times the limit. That is enough to stop a runaway script without a shared
store; the database is not touched on the hot path.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

DEFAULT_LIMIT = 300  # requests per window and address
WINDOW_SECONDS = 60
MAX_TRACKED = 50_000


@dataclass(frozen=True)
class Decision:
    """Whether a request may go on, and what to tell the client."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int


class FixedWindowLimiter:
    """Counts requests per address in fixed windows of ``window`` seconds."""

    def __init__(self, limit: int = DEFAULT_LIMIT, window: int = WINDOW_SECONDS):
        self.limit = limit
        self.window = window
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, address: str, now: float | None = None) -> Decision:
        """Count one request from ``address`` and decide on it."""
        moment = time.time() if now is None else now
        current = int(moment // self.window)
        with self._lock:
            if len(self._counts) > MAX_TRACKED:
                self._counts = {
                    a: wc for a, wc in self._counts.items() if wc[0] == current
                }
            window, count = self._counts.get(address, (current, 0))
            if window != current:
                count = 0
            count += 1
            self._counts[address] = (current, count)
        retry = int((current + 1) * self.window - moment) + 1
        return Decision(
            allowed=count <= self.limit,
            limit=self.limit,
            remaining=max(self.limit - count, 0),
            retry_after=max(retry, 1),
        )
