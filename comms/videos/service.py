"""The DB side of the video sync: the lock, the run records, one transaction.

A sync runs in two phases. The network phase lists the channel, fetches every
batch of metadata and the missing thumbnails, and spools the answers to a
temporary file; it holds no database lock. The write phase then applies the
spooled batches in one transaction, so a failure anywhere leaves the catalogue
exactly as it was, and SQLite is write-locked only for the short write phase.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import flag_modified

from comms.catalogue.models import Item, ItemTag
from comms.config import Settings
from comms.kinds.video import best_thumbnail
from comms.rendering import render_markdown
from comms.storage import MediaStore
from comms.videos import sync, thumbnails
from comms.videos.errors import DatabaseFailure, SyncError, SyncRunning
from comms.videos.models import SyncRun, VideoThumbnail
from comms.videos.youtube import PAGE_SIZE, YouTube, check_settings

STALE_AFTER = timedelta(hours=6)
VOLATILE = {"view_count", "like_count", "comment_count", "synced_at"}
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SyncReport:
    """What a finished sync did."""

    run_id: int
    full: bool
    total: int
    new: int
    updated: int
    unavailable: int
    quota_units: int
    thumbnails_failed: int = 0
    # Items public after the sync that were not before (new uploads, videos
    # made public on the channel): what comms.publishing announces.
    became_public: tuple[int, ...] = ()

    def line(self) -> str:
        """The summary line the command prints."""
        text = (
            f"{self.total} videos: {self.new} new, {self.updated} updated, "
            f"{self.unavailable} unavailable; {self.quota_units} quota units"
        )
        if self.thumbnails_failed:
            text += f"; {self.thumbnails_failed} thumbnails not fetched (placeholder)"
        return text


@dataclass
class _Counts:
    total: int = 0
    new: int = 0
    updated: int = 0
    unavailable: int = 0
    thumbnails_failed: int = 0
    became_public: list[int] = field(default_factory=list)


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


# --- the lock and the run records ---------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stale(run: SyncRun, now: datetime) -> bool:
    if run.host == socket.gethostname() and not _pid_alive(run.pid):
        return True
    return run.started_at < now - STALE_AFTER


def _refuse(run: SyncRun) -> SyncRunning:
    return SyncRunning(
        f"another video sync is running (run {run.id}, started "
        f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC by process {run.pid} on "
        f"{run.host}); try again when it has finished"
    )


def acquire(factory: sessionmaker[Session], *, full: bool) -> int:
    """Record a new running sync and return its id; SyncRunning if one runs."""
    for _attempt in range(3):
        with factory() as session:
            holder = session.scalar(select(SyncRun).where(SyncRun.running == 1))
            now = utcnow()
            if holder is not None:
                if not _is_stale(holder, now):
                    raise _refuse(holder)
                holder.running = None
                holder.outcome = "failed"
                holder.finished_at = now
                holder.error = "abandoned: the process running it ended"
                session.commit()
            run = SyncRun(
                full=full,
                running=1,
                outcome="running",
                started_at=now,
                host=socket.gethostname(),
                pid=os.getpid(),
            )
            session.add(run)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue  # another sync took the lock in between: look again
            except OperationalError:  # SQLite: another sync is writing right now
                session.rollback()
                holder = session.scalar(select(SyncRun).where(SyncRun.running == 1))
                if holder is not None:
                    raise _refuse(holder) from None
                raise
            return run.id
    raise SyncRunning("another video sync is starting; try again in a moment")


def finish(
    factory: sessionmaker[Session],
    run_id: int,
    *,
    counts: _Counts | None,
    units: int,
    error: str | None,
) -> None:
    """Close the run record and release the lock."""
    counts = counts or _Counts()
    with factory() as session:
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(
                running=None,
                outcome="failed" if error else "ok",
                finished_at=utcnow(),
                total=counts.total,
                new=counts.new,
                updated=counts.updated,
                unavailable=counts.unavailable,
                thumbnails_failed=counts.thumbnails_failed,
                quota_units=units,
                error=error,
            )
        )
        session.commit()


def last_runs(session: Session, limit: int = 10) -> list[SyncRun]:
    """The newest sync runs first."""
    return list(
        session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit))
    )


# --- the sync ---------------------------------------------------------------------


def sync_videos(
    factory: sessionmaker[Session],
    settings: Settings,
    store: MediaStore,
    *,
    default_language: str,
    full: bool = False,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Bring the catalogue's videos in step with the channel, in one transaction."""

    def fetch(client: YouTube, spool: IO[str], counts: _Counts) -> dict[str, str]:
        _key, channel_ref = check_settings(settings)
        listing = _Listing(
            factory=factory,
            store=store,
            channel_ref=channel_ref,
            full=full,
            progress=progress,
            timeout=settings.youtube_timeout,
        )
        return _fetch(listing, client, spool, counts)

    return _run(factory, settings, fetch, default_language, full=full, sleep=sleep)


def sync_ids(
    factory: sessionmaker[Session],
    settings: Settings,
    store: MediaStore,
    ids: list[str],
    *,
    default_language: str,
    hints: dict[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Sync just these videos (one videos.list call): what a push notification asks.

    The same merge plan as the full sync: overrides are kept, a known video the
    answer leaves out is marked private (or as ``hints`` says), never deleted.
    """
    wanted = list(dict.fromkeys(ids))
    if not 0 < len(wanted) <= PAGE_SIZE:
        raise ValueError(f"sync_ids takes 1 to {PAGE_SIZE} ids, got {len(wanted)}")

    def fetch(client: YouTube, spool: IO[str], counts: _Counts) -> dict[str, str]:
        resources = client.videos(wanted)
        remote = [sync.parse_video(r) for r in resources]
        fetched = _thumbnails(factory, store, remote, settings.youtube_timeout, counts)
        spool.write(json.dumps({"ids": wanted, "items": resources, "thumbs": fetched}))
        spool.write("\n")
        counts.total = len(wanted)
        return dict(hints or {})

    return _run(factory, settings, fetch, default_language, full=False, sleep=sleep)


Fetch = Callable[[YouTube, IO[str], _Counts], dict[str, str]]


def _run(
    factory: sessionmaker[Session],
    settings: Settings,
    fetch: Fetch,
    default_language: str,
    *,
    full: bool,
    sleep: Callable[[float], None],
) -> SyncReport:
    """Hold the lock, run the network phase, then write in one transaction."""
    run_id = acquire(factory, full=full)
    client: YouTube | None = None
    try:
        check_settings(settings)
        client = YouTube(settings, sleep=sleep)
        with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
            counts = _Counts()
            hints = fetch(client, spool, counts)
            spool.seek(0)
            with factory() as session:
                try:
                    _write(session, spool, hints, default_language, counts)
                    session.commit()
                except SQLAlchemyError as exc:
                    session.rollback()
                    detail = " ".join(
                        str(exc.orig if hasattr(exc, "orig") else exc).split()
                    )
                    raise DatabaseFailure(
                        f"the catalogue could not be updated, nothing was changed "
                        f"({type(exc).__name__}: {detail[:300]})"
                    ) from None
    except BaseException as exc:
        if client is not None:
            client.close()
        units = client.units if client else 0
        message = str(exc) if isinstance(exc, SyncError) else _unexpected(exc)
        finish(factory, run_id, counts=None, units=units, error=message)
        if isinstance(exc, SyncError) and units:
            spent = f"{units} quota unit{'s' if units != 1 else ''} spent"
            raise type(exc)(f"{exc} ({spent})") from None
        raise
    client.close()
    finish(factory, run_id, counts=counts, units=client.units, error=None)
    return SyncReport(
        run_id=run_id,
        full=full,
        total=counts.total,
        new=counts.new,
        updated=counts.updated,
        unavailable=counts.unavailable,
        quota_units=client.units,
        thumbnails_failed=counts.thumbnails_failed,
        became_public=tuple(counts.became_public),
    )


def _unexpected(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"unexpected error: {type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class _Listing:
    """What the channel sync's network phase reads: the same for its whole run."""

    factory: sessionmaker[Session]
    store: MediaStore
    channel_ref: str
    full: bool  # list the whole channel, not only the uploads newer than the known
    progress: Progress | None
    timeout: float  # per thumbnail download


def _fetch(
    listing: _Listing, client: YouTube, spool: IO[str], counts: _Counts
) -> dict[str, str]:
    """The network phase: list, fetch metadata and thumbnails, spool each batch."""
    factory, store, full = listing.factory, listing.store, listing.full
    progress, timeout = listing.progress, listing.timeout
    channel = client.channel(listing.channel_ref)
    with factory() as session:
        known = {
            video_id
            for video_id in session.scalars(
                select(Item.youtube_id).where(
                    Item.kind == "video", Item.youtube_id.is_not(None)
                )
            )
            if video_id
        }
    listed: dict[str, None] = {}
    hints: dict[str, str] = {}
    if channel.video_count != 0:
        for page in client.uploads(channel.uploads):
            reached_known = False
            for entry in page:
                if entry.video_id in known:
                    reached_known = True
                if entry.gone:
                    hints[entry.video_id] = entry.gone
                else:
                    listed.setdefault(entry.video_id)
            if reached_known and not full:
                break  # newest first: the rest is known; refreshed below
    ids = list(listed) + sorted(known.difference(listed))
    counts.total = len(ids)
    done = 0
    for batch in sync.batches(ids):
        resources = client.videos(batch)
        remote = [sync.parse_video(r) for r in resources]  # checks before writing
        fetched = _thumbnails(factory, store, remote, timeout, counts)
        spool.write(json.dumps({"ids": batch, "items": resources, "thumbs": fetched}))
        spool.write("\n")
        done += len(batch)
        if progress is not None:
            progress(done, len(ids))
    return hints


def _thumbnails(
    factory: sessionmaker[Session],
    store: MediaStore,
    remote: list[sync.RemoteVideo],
    timeout: float,
    counts: _Counts,
) -> dict[str, dict[str, Any]]:
    """Fetch the thumbnails not stored yet; return {id: {url, sha256, ...}}."""
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}
    for video in remote:
        if sync.availability_of(video) != "available":
            continue
        name = best_thumbnail(video.thumbnails)
        if name is not None:
            wanted[video.youtube_id] = (name, video.thumbnails[name])
    if not wanted:
        return {}
    with factory() as session:
        stored = {
            t.youtube_id: t
            for t in session.scalars(
                select(VideoThumbnail).where(VideoThumbnail.youtube_id.in_(wanted))
            )
        }
    todo = [
        video_id
        for video_id, (_name, thumb) in wanted.items()
        if not _have(stored.get(video_id), thumb["url"], store)
    ]
    results = thumbnails.fetch_all([wanted[v][1]["url"] for v in todo], timeout)
    fetched: dict[str, dict[str, Any]] = {}
    for video_id, result in zip(todo, results, strict=True):
        thumb = wanted[video_id][1]
        entry: dict[str, Any] = {
            "url": thumb["url"],
            "width": thumb.get("width"),
            "height": thumb.get("height"),
            "sha256": None,
            "media_type": "image/jpeg",
        }
        if result is None:
            counts.thumbnails_failed += 1
        else:
            entry["sha256"] = store.put(result.data)
            entry["media_type"] = result.media_type
        fetched[video_id] = entry
    return fetched


def _have(row: VideoThumbnail | None, url: str, store: MediaStore) -> bool:
    return (
        row is not None
        and row.source_url == url
        and row.sha256 is not None
        and store.path_for(row.sha256).exists()
    )


def _spooled(spool: IO[str]) -> Iterator[dict[str, Any]]:
    for line in spool:
        yield json.loads(line)


def _write(
    session: Session,
    spool: IO[str],
    hints: dict[str, str],
    default_language: str,
    counts: _Counts,
) -> None:
    """The write phase: apply every spooled batch in the caller's transaction."""
    taken: set[str] = set()
    for slug, translation in session.execute(
        select(Item.slug, Item.translation).where(Item.kind == "video")
    ):
        taken.update((slug, translation))
    now = utcnow().replace(microsecond=0)
    for batch in _spooled(spool):
        remote = {
            v.youtube_id: v for v in (sync.parse_video(r) for r in batch["items"])
        }
        items = {
            i.youtube_id: i
            for i in session.scalars(
                select(Item).where(
                    Item.kind == "video", Item.youtube_id.in_(batch["ids"])
                )
            )
            if i.youtube_id
        }
        plan = sync.plan_batch(batch["ids"], remote, items, hints)
        was_public = {i.youtube_id for i in items.values() if i.is_public(now)}
        touched: list[Item] = []
        for video in plan.create:
            fields = sync.video_fields(video, default_language=default_language)
            slug = sync.unique_slug(fields.title, taken)
            item = Item(
                kind="video",
                slug=slug,
                translation=slug,
                youtube_id=video.youtube_id,
                status="published",
                details={},
            )
            session.add(item)
            _apply(item, fields, now)
            touched.append(item)
            counts.new += 1
        for video in plan.update:
            item = items[video.youtube_id]
            fields = sync.video_fields(
                video, default_language=default_language, previous_type=item.video_type
            )
            _apply(item, fields, now)
            touched.append(item)
            if fields.availability == "available":
                counts.updated += 1
            else:
                counts.unavailable += 1
        for video_id, availability in plan.gone:
            item = items[video_id]
            if video_id not in hints and item.availability in ("private", "deleted"):
                availability = item.availability  # no new evidence: keep what we knew
            if item.availability != availability:
                item.availability = availability
                item.privacy_status = "private" if availability == "private" else None
            item.synced_at = now
            flag_modified(item, "updated_at")  # nothing visitors read changed
            counts.unavailable += 1
        _store_thumbnails(session, batch["thumbs"], now)
        session.flush()
        counts.became_public += [
            i.id for i in touched if i.is_public(now) and i.youtube_id not in was_public
        ]
        session.expunge_all()  # keep memory flat: the rows are flushed


def _apply(item: Item, fields: sync.VideoFields, now: datetime) -> None:
    """Write the synced fields onto an item; overrides, hidden and slug untouched."""
    values: dict[str, Any] = {
        "title": fields.title,
        "summary": fields.summary,
        "language": fields.language,
        "published_at": fields.published_at,
        "channel_id": fields.channel_id,
        "duration": fields.duration,
        "view_count": fields.view_count,
        "like_count": fields.like_count,
        "comment_count": fields.comment_count,
        "privacy_status": fields.privacy_status,
        "availability": fields.availability,
        "live_broadcast": fields.live_broadcast,
        "video_type": fields.video_type,
        "synced_at": now,
    }
    changed = False
    for key, value in values.items():
        if getattr(item, key) != value:
            setattr(item, key, value)
            changed = changed or key not in VOLATILE
    if item.body != fields.body or (fields.body and not item.body_html):
        item.body = fields.body
        item.body_html = render_markdown(fields.body)
        changed = True
    details = {**(item.details or {}), **fields.details}
    if details != (item.details or {}):
        item.details = details
        changed = True
    if tuple(t.name for t in item.tags) != fields.tags:
        item.tags = [ItemTag(name=n, position=i) for i, n in enumerate(fields.tags)]
        changed = True
    if not changed and item.id is not None:
        flag_modified(item, "updated_at")  # only counts moved: keep updated_at


def _store_thumbnails(
    session: Session, fetched: dict[str, dict[str, Any]], now: datetime
) -> None:
    if not fetched:
        return
    rows = {
        t.youtube_id: t
        for t in session.scalars(
            select(VideoThumbnail).where(VideoThumbnail.youtube_id.in_(fetched))
        )
    }
    for video_id, entry in fetched.items():
        row = rows.get(video_id)
        if row is None:
            row = VideoThumbnail(youtube_id=video_id)
            session.add(row)
        row.source_url = entry["url"]
        row.sha256 = entry["sha256"]
        row.media_type = entry["media_type"]
        row.width = entry["width"]
        row.height = entry["height"]
        row.fetched_at = now if entry["sha256"] else None


def thumbnail_of(session: Session, item: Item) -> VideoThumbnail | None:
    """The stored thumbnail row of a video item, if one was fetched."""
    if not item.youtube_id:
        return None
    return session.get(VideoThumbnail, item.youtube_id)
