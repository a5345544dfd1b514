"""The in-process rate-limit counts (``memory://``): the same verdicts, no threads."""

from __future__ import annotations

import threading

from comms import ratelimit


def test_memory_counts_start_no_thread_per_hit_and_keep_their_verdicts(
    monkeypatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock[0])
    limiter = ratelimit.RateLimiter("memory://")
    limit = ratelimit.per(3, 60)
    before = threading.active_count()
    verdicts = []
    for n in range(200):  # 200 readers, one search each, then one reader four times
        verdicts.append(limiter.hit(limit, "search", f"10.0.0.{n}").allowed)
    verdicts += [limiter.hit(limit, "search", "reader").allowed for _ in range(4)]
    assert threading.active_count() <= before + 1  # at most the library's first timer
    assert verdicts == [True] * 203 + [False]
    clock[0] += 61  # the window moved on
    assert limiter.hit(limit, "search", "reader").allowed


def test_memory_counts_drop_expired_entries_once_a_second(monkeypatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock[0])
    ticks = [0.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: ticks[0])
    limiter = ratelimit.RateLimiter("memory://")
    storage = limiter._strategy.storage
    limit = ratelimit.per(3, 60)
    for n in range(50):
        limiter.hit(limit, "search", f"10.0.1.{n}")
    assert len(storage.events) == 50
    clock[0] += 61
    ticks[0] += ratelimit.SWEEP_SECONDS
    limiter.hit(limit, "search", "late reader")
    assert len(storage.events) <= 1
