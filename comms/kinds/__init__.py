"""One home per item kind: the registry and the four kinds comms ships.

Importing this package registers press releases, reports, videos and events, in
that order (the order of the news page's filter and the API's enum). Another kind
is one more module that builds a ``Kind`` and passes it to ``register``.
"""

from __future__ import annotations

from comms.kinds import event, press_release, report, video
from comms.kinds.registry import (
    KIND_PLURALS,
    KINDS,
    PLURAL_KINDS,
    Field,
    Kind,
    all_kinds,
    by_plural,
    find,
    get,
    register,
    unregister,
)

__all__ = [
    "KINDS",
    "KIND_PLURALS",
    "PLURAL_KINDS",
    "Field",
    "Kind",
    "all_kinds",
    "by_plural",
    "find",
    "get",
    "register",
    "unregister",
]

for _module in (press_release, report, video, event):
    register(_module.KIND)
