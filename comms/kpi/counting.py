"""Privacy-friendly counting: one upsert per event into a daily counter, no cookie.

Nothing about the visitor is stored: a counter row is (day, metric, key, count),
where the key names the thing counted (an item's URL, a file, a feed), never who
asked. Feed-reader services state how many subscribers they serve in their
User-Agent; that number (not the reader) is kept as the day's maximum, when the
service is one of FEED_READERS and the number at most MAX_STATED_SUBSCRIBERS.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, current_app, request
from sqlalchemy import ColumnElement, Engine, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from comms.cache import on_replay
from comms.catalogue.downloads import is_download
from comms.catalogue.models import Item
from comms.kpi.models import DailyCount, VideoSnapshot
from comms.self_requests import is_visit

log = logging.getLogger(__name__)

ITEM_VIEW = "item_view"
DOWNLOAD = "download"
FEED_FETCH = "feed_fetch"
FEED_SUBSCRIBERS = "feed_subscribers"
NEWSLETTER_SEND = "newsletter_send"
NEWSLETTER_BOUNCE = "newsletter_bounce"
NEWSLETTER_CONFIRM = "newsletter_confirm"
NEWSLETTER_UNSUBSCRIBE = "newsletter_unsubscribe"
MAX_METRICS = frozenset({FEED_SUBSCRIBERS})
# Counters written by one statement (4 bound values each: within the 999 a
# statement that SQLite has allowed since its oldest versions).
ROWS_PER_STATEMENT = 200
# The feeds outside the feeds blueprint. Not a file suffix: a citation export
# (cite.json) is no feed, and its fetcher states no subscribers.
FEED_ENDPOINTS = frozenset({"newsletter.feed"})
BUFFER_KEY = "comms.kpi_counts"
# Feed-reader services that state their subscribers in the User-Agent, and how
# their product name starts. Anyone can send any User-Agent: a number is taken only
# from these names and only up to MAX_STATED_SUBSCRIBERS, so that a forged claim
# can neither name a service nor reach a figure no real feed has.
FEED_READERS = (
    ("Feedly", re.compile(r"Feedly(?:Bot)?\b", re.IGNORECASE)),
    ("Inoreader", re.compile(r"Inoreader\b", re.IGNORECASE)),
    ("NewsBlur", re.compile(r"NewsBlur\b", re.IGNORECASE)),
    ("The Old Reader", re.compile(r"(?:theoldreader\.com|The ?Old ?Reader)\b", re.I)),
    ("Feedbin", re.compile(r"Feedbin\b", re.IGNORECASE)),
    ("BazQux", re.compile(r"BazQux\b", re.IGNORECASE)),
    ("Feedspot", re.compile(r"Feedspot\b", re.IGNORECASE)),
    ("Tiny Tiny RSS", re.compile(r"Tiny Tiny RSS\b", re.IGNORECASE)),
)
MAX_STATED_SUBSCRIBERS = 1_000_000
# The most one event may add to a counter: far below the 2**63 of a BIGINT column,
# so that no sum of a day's events can overflow it.
MAX_AMOUNT = 2**31 - 1

_SUBSCRIBERS = re.compile(r"(?<![0-9])([0-9]{1,7})\s+(?:subscribers|readers)\b", re.I)
_BOTS = re.compile(r"bot|crawl|spider|slurp|preview|monitor|curl|wget", re.IGNORECASE)


def today() -> date:
    """The current UTC day."""
    return datetime.now(UTC).date()


def _upsert(dialect: str, metric: str, key: str, day: date, amount: int) -> Any:
    """The INSERT ... ON CONFLICT DO UPDATE statement for one counter."""
    row = {"day": day, "metric": metric, "key": key[:300], "count": clamp(amount)}
    return _upsert_rows(dialect, [row], keep_max=metric in MAX_METRICS)


def _upsert_rows(dialect: str, rows: list[dict[str, Any]], *, keep_max: bool) -> Any:
    """One INSERT ... ON CONFLICT DO UPDATE for many counters (distinct slots)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(DailyCount).values(rows)
    current = DailyCount.__table__.c.count
    new: ColumnElement[Any]
    if keep_max:
        new = case((stmt.excluded.count > current, stmt.excluded.count), else_=current)
    else:
        new = current + stmt.excluded.count
    return stmt.on_conflict_do_update(
        index_elements=["day", "metric", "key"], set_={"count": new}
    )


def record(
    session: Session,
    metric: str,
    key: str,
    day: date | None = None,
    amount: int = 1,
) -> None:
    """Add ``amount`` to a daily counter (commits with the caller's transaction).

    Metrics in ``MAX_METRICS`` keep the day's largest value instead of a sum.
    """
    dialect = session.get_bind().dialect.name
    session.execute(_upsert(dialect, metric, key, day or today(), amount))


def clamp(amount: int) -> int:
    """``amount`` within what one event may add to a counter (0 to MAX_AMOUNT)."""
    return min(max(amount, 0), MAX_AMOUNT)


def parse_subscribers(user_agent: str) -> tuple[str, int] | None:
    """The service and subscriber count a known feed reader states, if credible.

    None for a User-Agent that names no service of FEED_READERS, states no number,
    or states more than MAX_STATED_SUBSCRIBERS.
    """
    head = user_agent
    if head.startswith("Mozilla/") and "compatible;" in head:
        head = head.split("compatible;", 1)[1]
    head = head.lstrip()
    service = next((name for name, p in FEED_READERS if p.match(head)), None)
    if service is None:
        return None
    found = _SUBSCRIBERS.search(user_agent)
    if found is None:
        return None
    stated = int(found.group(1))
    if stated > MAX_STATED_SUBSCRIBERS:
        return None
    return service, stated


def is_feed_request(endpoint: str | None, blueprint: str | None) -> bool:
    """True for the feed URLs (the feeds blueprint and the newsletter's feed)."""
    return blueprint == "feeds" or endpoint in FEED_ENDPOINTS


def events_for(
    endpoint: str | None,
    blueprint: str | None,
    path: str,
    view_args: dict[str, Any],
    status: int,
    user_agent: str,
) -> list[tuple[str, str, int]]:
    """What one answered GET request counts as: (metric, key, amount) triples."""
    if endpoint == "catalogue.item":
        if status != 200 or _BOTS.search(user_agent):
            return []
        return [(ITEM_VIEW, f"{view_args.get('plural')}/{view_args.get('slug')}", 1)]
    if endpoint == "catalogue.download":
        if status not in (200, 206) or _BOTS.search(user_agent):
            return []
        return [(DOWNLOAD, f"{view_args.get('slug')}/{view_args.get('filename')}", 1)]
    if not is_feed_request(endpoint, blueprint):
        return []
    if status not in (200, 304):
        return []
    events = [(FEED_FETCH, path, 1)]
    stated = parse_subscribers(user_agent)
    if stated is not None:
        events.append((FEED_SUBSCRIBERS, f"{stated[0]} {path}", stated[1]))
    return events


def _merged(held: int, metric: str, amount: int) -> int:
    """Two counts of one counter as one: the larger for ``MAX_METRICS``, else
    their sum (within what a counter may hold)."""
    if metric in MAX_METRICS:
        return max(held, clamp(amount))
    return clamp(held + amount)


class CountBuffer:
    """Counts gathered in this process and written every ``interval`` seconds.

    One upsert per (day, metric, key) per interval instead of one per request keeps
    counting cheap under load. A daemon thread, started by the first count after a
    quiet spell and ending when nothing is left to write, writes them: a count
    reaches the database within ``interval`` seconds whether or not another request
    comes. ``flush`` writes what is left at shutdown; at most ``interval`` seconds
    of counts are lost if the process is killed. With ``interval`` 0 every event is
    written at once, by the request that counts it.
    """

    def __init__(self, engine: Engine, interval: float) -> None:
        self.engine = engine
        self.interval = interval
        self._pending: dict[tuple[date, str, str], int] = {}
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None

    def add(self, metric: str, key: str, amount: int) -> None:
        """Count one event; it is written within ``interval`` seconds."""
        slot = (today(), metric, key)
        amount = clamp(amount)
        if self.interval <= 0:
            self._write({slot: amount})
            return
        with self._lock:
            self._pending[slot] = _merged(self._pending.get(slot, 0), metric, amount)
            if self._writer is None:
                # Checked and set under the lock that _run ends under, so a count
                # never waits for a writer that has just decided to stop.
                self._writer = threading.Thread(
                    target=self._run, name="comms-count-writer", daemon=True
                )
                self._writer.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()
            with self._lock:
                if not self._pending:
                    self._writer = None
                    return

    def flush(self) -> None:
        """Write every gathered count now."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if pending:
            self._write(pending)

    def _write(self, pending: dict[tuple[date, str, str], int]) -> None:
        """Write ``pending`` in one transaction, else each counter on its own.

        A counter the database refuses is logged and dropped alone: the others
        of its window are still written, and counting goes on.
        """
        try:
            self._upsert_all(pending)
            return
        except Exception:  # retried counter by counter below
            if len(pending) == 1:
                log.exception("could not write the counter %s", next(iter(pending)))
                return
        for slot, amount in pending.items():
            try:
                self._upsert_all({slot: amount})
            except Exception:  # a counter must never break the page it counts
                log.exception("could not write the counter %s", slot)

    def _upsert_all(self, pending: dict[tuple[date, str, str], int]) -> None:
        """Write ``pending`` in one transaction of a few many-row upserts.

        One statement per counter held SQLite's write lock for as long as Python
        took to build and send each (a statement, then the interpreter lock back
        from the threads serving pages): with 2,000 counters under load, seconds,
        while an officer's publish and the other workers' counts waited and gave
        up after the busy timeout. ``ROWS_PER_STATEMENT`` rows at a time stay
        within SQLite's oldest limit of 999 bound values a statement.
        """
        dialect = self.engine.dialect.name
        sums: dict[tuple[date, str, str], int] = {}
        highest: dict[tuple[date, str, str], int] = {}
        for (day, metric, key), amount in pending.items():
            slot = (day, metric, key[:300])  # two long keys may share a stored one
            merged = highest if metric in MAX_METRICS else sums
            merged[slot] = _merged(merged.get(slot, 0), metric, amount)
        with self.engine.begin() as conn:
            for counts, keep_max in ((sums, False), (highest, True)):
                rows = [
                    {"day": day, "metric": metric, "key": key, "count": amount}
                    for (day, metric, key), amount in sorted(counts.items())
                ]
                for start in range(0, len(rows), ROWS_PER_STATEMENT):
                    chunk = rows[start : start + ROWS_PER_STATEMENT]
                    conn.execute(_upsert_rows(dialect, chunk, keep_max=keep_max))


_COUNTED_ENDPOINTS = frozenset({"catalogue.item", "catalogue.download"})


def _count_response(response: Response) -> Response:
    if request.method != "GET" or not is_visit(request.environ):
        return response
    buffer: CountBuffer | None = current_app.extensions.get(BUFFER_KEY)
    if buffer is None:
        return response
    endpoint = request.endpoint
    if endpoint not in _COUNTED_ENDPOINTS and not is_feed_request(
        endpoint, request.blueprint
    ):
        return response  # the news page, listings, search: nothing to count
    status = response.status_code
    if endpoint == "catalogue.download" and not is_download(
        request.method, status, response.headers.get("Content-Range")
    ):
        return response  # a resumed or probing range: no download
    events = events_for(
        endpoint,
        request.blueprint,
        request.path,
        request.view_args or {},
        status,
        request.headers.get("User-Agent", ""),
    )
    for metric, key, amount in events:
        buffer.add(metric, key, amount)
    # A replay of this answer (comms.cache) counts for the replaying request, whose
    # User-Agent may differ: a bot's answer replayed to a reader is a view.
    on_replay(
        Counted(
            buffer,
            endpoint,
            request.blueprint,
            request.path,
            dict(request.view_args or {}),
            status,
        )
    )
    return response


@dataclass(frozen=True)
class Counted:
    """What a counted answer was; called on each replay of it to count it again."""

    buffer: CountBuffer
    endpoint: str | None
    blueprint: str | None
    path: str
    view_args: dict[str, Any]
    status: int

    def __call__(self, environ: dict[str, Any]) -> None:
        """Count a replay of the answer (see comms.cache.on_replay) for ``environ``."""
        if environ.get("REQUEST_METHOD") != "GET" or not is_visit(environ):
            return
        for metric, key, amount in events_for(
            self.endpoint,
            self.blueprint,
            self.path,
            self.view_args,
            self.status,
            environ.get("HTTP_USER_AGENT", ""),
        ):
            self.buffer.add(metric, key, amount)


def snapshot_videos(session: Session, day: date | None = None) -> int:
    """Store each video's YouTube counts for ``day`` (replacing that day's); commits.

    The video sync calls this after it stores fresh counts; ``comms kpi`` calls it
    when the day's snapshot is missing. Returns how many videos were recorded.
    """
    day = day or today()
    rows = session.execute(
        select(Item.id, Item.view_count, Item.like_count, Item.comment_count).where(
            Item.kind == "video", Item.youtube_id.is_not(None)
        )
    ).all()
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(VideoSnapshot).values(
        [
            {
                "day": day,
                "item_id": item_id,
                "views": views or 0,
                "likes": likes or 0,
                "comments": comments or 0,
            }
            for item_id, views, likes, comments in rows
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "item_id"],
        set_={
            "views": stmt.excluded.views,
            "likes": stmt.excluded.likes,
            "comments": stmt.excluded.comments,
        },
    )
    session.execute(stmt)
    session.commit()
    return len(rows)


def has_snapshot(session: Session, day: date) -> bool:
    """True when the video counts of ``day`` were recorded."""
    found = session.scalar(
        select(VideoSnapshot.item_id).where(VideoSnapshot.day == day).limit(1)
    )
    return found is not None


def flush_counts(app: Flask) -> None:
    """Write the counts ``app`` has gathered and not written yet (at shutdown)."""
    buffer: CountBuffer | None = app.extensions.get(BUFFER_KEY)
    if buffer is not None:
        buffer.flush()


def init_app(app: Flask) -> None:
    """Count item views, downloads and feed fetches after each response.

    COMMS_COUNTING=0 switches counting off. Counts are gathered for
    COMMS_COUNT_FLUSH_SECONDS and written together by a background thread, and
    whatever is left when the process exits (see also comms.serving).
    """
    state = app.extensions["comms"]
    if not state.settings.counting:
        return
    buffer = CountBuffer(state.engine, state.settings.count_flush_seconds)
    app.extensions[BUFFER_KEY] = buffer
    if buffer.interval > 0:
        atexit.register(buffer.flush)
    app.after_request(_count_response)
