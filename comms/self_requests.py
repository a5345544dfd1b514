"""Requests the site makes to its own app: the static export, `comms check`, evidence.

They go through the app's test client like a visitor's request and differ from a
visit in ways the page cache, counting and the CSRF check must know without knowing
who asked: none of them is a visit to count, and a static copy (an export, a check)
has no session and reads each page once, so its answers are not stored. The mark
travels in the WSGI environ, the one thing a test-client request carries into the
app, under a key defined here alone; each part reads it through the functions below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_KEY = "comms.self_request"


@dataclass(frozen=True)
class SelfRequest:
    """Why the site asks itself for a page (never a visit)."""

    static_copy: bool
    """A copy for a static host: no session, no CSRF token, nothing stored."""


STATIC_COPY = SelfRequest(static_copy=True)
SNAPSHOT = SelfRequest(static_copy=False)


def mark(kind: SelfRequest) -> dict[str, Any]:
    """The WSGI environ entries that make a test-client request a ``kind``."""
    return {_KEY: kind}


def self_request(environ: Mapping[str, Any]) -> SelfRequest | None:
    """What self-request ``environ`` is, or None for a visitor's."""
    kind = environ.get(_KEY)
    return kind if isinstance(kind, SelfRequest) else None


def is_visit(environ: Mapping[str, Any]) -> bool:
    """True unless the site itself asked (a self-request is never counted)."""
    return self_request(environ) is None


def is_static_copy(environ: Mapping[str, Any]) -> bool:
    """True for the requests of a static copy (an export, a check)."""
    kind = environ.get(_KEY)
    return isinstance(kind, SelfRequest) and kind.static_copy
