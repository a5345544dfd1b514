"""huey, the queue the jobs travel on, and the worker that runs them.

huey pops a message before running it, so a worker killed mid-job loses that
message. The job row keeps the state (``comms.jobs.service``): a worker's start-up,
a run ``jobs_stale_seconds`` later and a periodic task each minute send silent or
lost jobs to the queue again, and ``claim`` keeps any job from running twice at once.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.errors import CommsError
from comms.jobs import service
from comms.jobs.models import Job

log = logging.getLogger(__name__)
EXTENSION_KEY = "comms.jobs"
BUSY_RETRY_SECONDS = 10


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class JobContext:
    """What a job's handler gets: the app, a session, its arguments, a progress hook."""

    app: Flask
    session: Session
    job_id: int
    payload: dict[str, Any]
    progress: Callable[[int, int | None], None]


class Busy(CommsError):
    """The job's lock is held: a live process runs this work right now."""


Handler = Callable[[JobContext], str]
# Takes the lock of a job's work before it is claimed and returns its release;
# raises Busy while another process holds it.
Guard = Callable[[Flask, Session, dict[str, Any]], Callable[[], None]]
HANDLERS: dict[str, Handler] = {}
GUARDS: dict[str, Guard] = {}


def handler(kind: str, guard: Guard | None = None) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind`` (returns a summary line).

    ``guard`` names a lock that dies with the process holding it (a send's lock):
    a job whose lock is held is never claimed, even when its heartbeat is late.
    """

    def register(func: Handler) -> Handler:
        HANDLERS[kind] = func
        if guard is not None:
            GUARDS[kind] = guard
        return func

    return register


MINUTE_CHECKS: list[Callable[[Flask], None]] = []


def every_minute(check: Callable[[Flask], None]) -> None:
    """Run ``check(app)`` in the worker each minute (once however often registered)."""
    if check not in MINUTE_CHECKS:
        MINUTE_CHECKS.append(check)


def _queue_name(app: Flask) -> str:
    # One queue per database: sites (and test schemas) sharing a Redis never mix.
    engine = app.extensions["comms"].engine
    where = engine.url.render_as_string(hide_password=True)
    schema = engine.dialect.default_schema_name or ""
    return "comms-" + hashlib.sha256(f"{where}|{schema}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class JobQueue:
    """The app's huey and the task that carries a job's id."""

    huey: Huey
    run: Any  # huey's TaskWrapper: run(job_id) enqueues, run.schedule(...) later


_build_lock = threading.Lock()


def build_queue(app: Flask) -> JobQueue:
    """The huey of this app's settings, with the job runner and periodic tasks."""
    settings = app.extensions["comms"].settings
    url = settings.resolved_jobs_url
    name = _queue_name(app)
    huey: Huey
    if url.startswith("memory://"):
        huey = MemoryHuey(name, results=False, utc=True)
    elif url.startswith(("redis://", "rediss://")):
        huey = RedisHuey(name, url=url, results=False, utc=True)
    else:
        path = url.removeprefix("sqlite:///")
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(name, filename=path, results=False, utc=True)

    @huey.task(name="comms.run_job")  # type: ignore[untyped-decorator]
    def run(job_id: int) -> None:
        run_job(app, job_id)

    @huey.task(name="comms.reconcile")  # type: ignore[untyped-decorator]
    def reconcile_task() -> None:
        reconcile(app)

    @huey.periodic_task(crontab(minute="*"), name="comms.every_minute")  # type: ignore[untyped-decorator]
    def minute() -> None:
        reconcile(app)
        for check in MINUTE_CHECKS:
            check(app)

    if not url.startswith("memory://"):  # in memory nothing outlives a process

        @huey.on_startup(name="comms.resume")  # type: ignore[untyped-decorator]
        def resume() -> None:
            # Jobs a killed worker held: those already silent now, the rest once
            # silent.
            reconcile(app)
            reconcile_task.schedule(delay=settings.jobs_stale_seconds + 1)

    return JobQueue(huey, run)


def get_queue(app: Flask) -> JobQueue:
    """This app's queue, built on first use."""
    with _build_lock:
        queue: JobQueue | None = app.extensions.get(EXTENSION_KEY)
        if queue is None:
            queue = app.extensions[EXTENSION_KEY] = build_queue(app)
            url = app.extensions["comms"].settings.resolved_jobs_url
            if url.startswith("memory://"):
                start_thread_consumer(app, queue.huey)
    return queue


def enqueue(app: Flask, job: Job) -> None:
    """Put the job's id on the queue, to run at its ``run_after`` time."""
    run = get_queue(app).run
    if job.run_after > utcnow():
        run.schedule(args=(job.id,), eta=job.run_after)
    else:
        run(job.id)


def submit(app: Flask, session: Session, new: service.NewJob) -> Job | None:
    """Record and enqueue a job; None when a job with the same key exists."""
    job = service.create(session, new, now=utcnow())
    if job is not None:
        enqueue(app, job)
    return job


def reconcile(app: Flask) -> int:
    """Enqueue again the jobs a dead worker held or whose message was lost."""
    state = app.extensions["comms"]
    stale = timedelta(seconds=state.settings.jobs_stale_seconds)
    with state.sessionmaker() as session:
        found = service.orphans(session, now=utcnow(), stale=stale)
        for job in found:
            log.warning("job %s (%s) resumed: its worker stopped", job.id, job.kind)
            enqueue(app, job)
    return len(found)


def run_job(app: Flask, job_id: int) -> None:
    """Claim the job, run its handler with a heartbeat beside it, record the end."""
    state = app.extensions["comms"]
    stale = timedelta(seconds=state.settings.jobs_stale_seconds)
    with state.sessionmaker() as session:
        job = session.get(Job, job_id)
        if job is None or job.state not in ("queued", "running"):
            return
        kind, payload = job.kind, dict(job.payload)
        release = _take_guard(app, session, job)
        if release is None:
            if job.state == "queued":
                # Held by a command-line send, or for an instant by a page that
                # checks it: try again soon rather than at the next reconcile.
                get_queue(app).run.schedule(args=(job_id,), delay=BUSY_RETRY_SECONDS)
            return
        if not service.claim(session, job_id, now=utcnow(), stale=stale):
            release()
            return
    heart = _Heartbeat(app, job_id, stale.total_seconds() / 4)
    heart.start()
    summary, error = "", None
    try:
        func = HANDLERS.get(kind)
        if func is None:
            raise CommsError(f"no handler for jobs of kind {kind!r}")
        with app.app_context(), state.sessionmaker() as session:
            summary = func(JobContext(app, session, job_id, payload, heart.progress))
    except CommsError as exc:
        error = str(exc) or type(exc).__name__
        log.warning("job %s (%s) failed: %s", job_id, kind, error)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.exception("job %s (%s) failed", job_id, kind)
    finally:
        heart.stop()
        try:
            with state.sessionmaker() as session:
                service.finish(
                    session, job_id, summary=summary, error=error, now=utcnow()
                )
        finally:
            release()


def _take_guard(app: Flask, session: Session, job: Job) -> Callable[[], None] | None:
    """The release of the job's lock (a no-op without one); None while it is held."""
    guard = GUARDS.get(job.kind)
    if guard is None:
        return lambda: None
    try:
        with app.app_context():
            release = guard(app, session, dict(job.payload))
    except Busy as exc:
        log.info("job %s (%s) left alone: %s", job.id, job.kind, exc)
        session.rollback()
        return None
    session.rollback()  # end the read: the claim is a transaction of its own
    return release


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat and progress from a thread of its own.

    The handler only notes its progress in memory: a write from its own thread on
    another connection would wait for the write lock its session holds (SQLite).
    """

    def __init__(self, app: Flask, job_id: int, every: float) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.factory = app.extensions["comms"].sessionmaker
        self.job_id, self.every = job_id, max(every, 0.2)
        self.done: int = 0
        self.total: int | None = None
        self.stopped = threading.Event()

    def progress(self, done: int, total: int | None) -> None:
        """Note how far the job got (written with the next heartbeat)."""
        self.done, self.total = done, total

    def run(self) -> None:
        wait = self.every
        while not self.stopped.wait(wait):
            # A beat that could not be written is tried again soon, not a period on.
            wait = self.every if self._write() else min(self.every, 0.2)

    def stop(self) -> None:
        """Stop beating and write the last progress."""
        self.stopped.set()
        self.join()
        self._write()

    def _write(self) -> bool:
        try:
            with self.factory() as session:
                service.set_progress(
                    session,
                    self.job_id,
                    done=self.done,
                    total=self.total,
                    now=utcnow(),
                )
        except Exception:  # a busy database: the next beat tries again
            log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)
            return False
        return True


class _ThreadConsumer(Consumer):  # type: ignore[misc]
    """huey's consumer in threads of this process, leaving signals alone."""

    def _set_signal_handlers(self) -> None:
        pass


def start_thread_consumer(app: Flask, huey: Huey) -> Consumer:
    """Run jobs in threads of this process (memory://: tests, nothing survives)."""
    consumer = _ThreadConsumer(huey, workers=2, periodic=False, max_delay=0.2)
    consumer.start()
    app.extensions[EXTENSION_KEY + ".consumer"] = consumer
    return consumer


def run_worker(app: Flask, *, threads: int, periodic: bool = True) -> None:
    """Run the jobs of this app's queue until stopped (SIGINT: let jobs finish)."""
    huey = get_queue(app).huey
    consumer = huey.create_consumer(
        workers=threads, worker_type="thread", periodic=periodic, max_delay=1.0
    )
    consumer.run()


def wait_idle(app: Flask, timeout: float) -> bool:
    """Wait until no job is queued (and due) or running; False on timeout (tests)."""
    factory = app.extensions["comms"].sessionmaker
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with factory() as session:
            busy = session.scalar(
                select(Job.id).where(
                    (Job.state == "running")
                    | ((Job.state == "queued") & (Job.run_after <= utcnow()))
                )
            )
        if busy is None:
            return True
        time.sleep(0.05)
    return False


def stop_jobs(app: Flask, timeout: float = 30.0) -> None:
    """Let this process's job threads finish, then stop them (memory://: tests)."""
    consumer = app.extensions.pop(EXTENSION_KEY + ".consumer", None)
    if consumer is not None:
        wait_idle(app, timeout)
        consumer.stop(graceful=True)
