"""Rate limits any feature can use: the `limits` library over one shared storage.

The storage comes from COMMS_RATELIMIT_STORAGE_URL. ``memory://`` (the default)
counts in each process, so N workers allow up to N times a limit; with
``redis://host:port/db`` every worker on every host shares the counts. Windows are
moving: a limit of 5 per 10 minutes allows a sixth request 10 minutes after the
first, not at the turn of a clock-aligned window.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from flask import Flask, request
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import ConfigurationError, StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from comms.errors import CommsError, ConfigMissing

EXTENSION = "comms.ratelimiter"


class LimitsUnavailable(CommsError):
    """The shared storage of the counts (Redis) cannot be reached."""


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go on; if not, how many seconds until one may."""

    allowed: bool
    retry_after: int = 0
    remaining: int = 0  # hits left in the window (counted only when asked)


def per(amount: int, seconds: int) -> RateLimitItem:
    """A limit of ``amount`` hits in any ``seconds`` seconds."""
    return RateLimitItemPerSecond(amount, seconds)


# How often the in-process counts drop their expired entries.
SWEEP_SECONDS = 1.0


class SweptMemoryStorage(MemoryStorage):
    """``memory://`` without a thread per hit.

    The library's memory storage starts a timer thread on a hit whenever the last
    one has run (10 ms later), and that thread walks every key: under a flood of
    searches from many readers each request paid a thread start and the walk. The
    windows are checked from their entries' times anyway, so dropping expired
    entries once a second, in the request that comes due, changes no verdict; the
    keys left empty go too (the library keeps one per client ever seen).
    """

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._swept = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:  # the library's hook
        now = time.monotonic()
        if now - self._swept >= SWEEP_SECONDS:
            self._swept = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
            for key in [key for key, entries in self.events.items() if not entries]:
                with self.locks[key]:  # the library keeps emptied keys forever
                    if not self.events.get(key):
                        self.events.pop(key, None)
                        self.locks.pop(key, None)


class RateLimiter:
    """Counts hits per (scope, key) in the configured storage."""

    def __init__(self, storage_url: str) -> None:
        if storage_url.startswith("memory://"):
            swept = SweptMemoryStorage(storage_url, wrap_exceptions=True)
            self._strategy = MovingWindowRateLimiter(swept)
            return
        try:
            storage = storage_from_string(storage_url, wrap_exceptions=True)
        except ConfigurationError as exc:
            raise ConfigMissing(
                f"COMMS_RATELIMIT_STORAGE_URL {storage_url!r} cannot be used: {exc} "
                "(use memory:// or redis://host:port/db)"
            ) from None
        self._strategy = MovingWindowRateLimiter(storage)

    def hit(
        self, limit: RateLimitItem, scope: str, key: str, *, remaining: bool = False
    ) -> Verdict:
        """Count one hit of ``key`` against ``limit``; refused hits are not counted.

        ``remaining``: also read how many hits are left (one more storage call).
        """
        try:
            allowed = self._strategy.hit(limit, scope, key)
            if allowed and not remaining:
                return Verdict(True)
            stats = self._strategy.get_window_stats(limit, scope, key)
        except StorageError as exc:
            raise LimitsUnavailable(
                f"rate limit storage unavailable: {type(exc.storage_error).__name__}"
            ) from exc
        if allowed:
            return Verdict(True, remaining=stats.remaining)
        retry = max(1, math.ceil(stats.reset_time - time.time()))
        return Verdict(False, retry, remaining=0)


def client_key(address: str | None) -> str:
    """The key of a client: its IPv4 address, or the /64 network of an IPv6 one.

    One IPv6 subscriber line usually gets a whole /64: counting single addresses
    would give one client 2^64 allowances. An IPv4 client seen through a dual-stack
    socket (``::ffff:a.b.c.d``) is keyed by its IPv4 address: the /64 of every such
    address is ``::/64``, which would make all IPv4 visitors one client.
    """
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def request_client() -> str:
    """The key of the current request's client.

    ``remote_addr`` is the real client: the socket's peer, or, with COMMS_PROXIES=N,
    the address the N trusted proxies in front reported (ProxyFix, see comms.app).
    """
    return client_key(request.remote_addr)


def init_app(app: Flask) -> None:
    """Give the app its limiter (once, whichever feature asks first)."""
    if EXTENSION not in app.extensions:
        settings = app.extensions["comms"].settings
        app.extensions[EXTENSION] = RateLimiter(settings.ratelimit_storage_url)


def limiter(app: Flask) -> RateLimiter:
    """The app's limiter."""
    found: RateLimiter = app.extensions[EXTENSION]
    return found
