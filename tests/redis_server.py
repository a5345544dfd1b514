"""The machine's Redis for the tests that share limits or queues through it."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI") == "true"


def reachable_redis(url: str) -> str:
    """``url`` once Redis answers there; else skip, or fail under CI (never skip)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis unreachable in CI at {url}: {exc}")
        pytest.skip(f"Redis unreachable at {url}: {exc}")
    return url
