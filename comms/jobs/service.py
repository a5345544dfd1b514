"""Job rows: create, claim, beat, finish; find the ones a dead worker left.

huey carries only a job's id. The row says whether the job still has to run, so a
message delivered twice (a re-enqueue after a worker died, two hosts noticing the
same due item) runs the work once: ``claim`` is one conditional UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comms.errors import NotFound
from comms.jobs.models import Job

# A queued job whose message huey lost (popped by a worker killed before it
# claimed the row) is sent again after this long.
LOST_AFTER = timedelta(minutes=2)
ERROR_LIMIT = 2000


@dataclass(frozen=True)
class NewJob:
    """What to run: a kind the worker knows, its arguments, a title for the admin."""

    kind: str
    payload: dict[str, Any]
    title: str
    key: str | None = None
    run_after: datetime | None = None
    actor_id: int | None = None


def create(session: Session, new: NewJob, *, now: datetime) -> Job | None:
    """Add and commit a queued job; None when a job with the same key exists."""
    job = Job(
        kind=new.kind,
        key=new.key,
        payload=new.payload,
        title=new.title[:300],
        state="queued",
        run_after=new.run_after or now,
        created_at=now,
        enqueued_at=now,
        actor_id=new.actor_id,
    )
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if new.key is None:
            raise
        return None
    return job


def claim(session: Session, job_id: int, *, now: datetime, stale: timedelta) -> bool:
    """Mark the job running here; False when it is done, failed or alive elsewhere."""
    claimed = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.state == "queued",
                (Job.state == "running") & (Job.heartbeat_at < now - stale),
            ),
        )
        .values(
            state="running",
            started_at=now,
            heartbeat_at=now,
            attempts=Job.attempts + 1,
            error="",
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(getattr(claimed, "rowcount", 0))


def beat(session: Session, job_id: int, *, now: datetime) -> None:
    """Record that the worker running the job is alive."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == "running")
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def set_progress(
    session: Session, job_id: int, *, done: int, total: int | None, now: datetime
) -> None:
    """Record how far the job got (also a heartbeat)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(done=done, total=total, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def finish(
    session: Session, job_id: int, *, summary: str, error: str | None, now: datetime
) -> None:
    """Record the job's end: done with a summary, or failed with an error."""
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            state="failed" if error else "done",
            finished_at=now,
            summary=summary[:ERROR_LIMIT],
            error=(error or "")[:ERROR_LIMIT],
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()


def orphans(session: Session, *, now: datetime, stale: timedelta) -> list[Job]:
    """Jobs to send to the queue again: a silent running job, a lost queued one.

    Marks each as enqueued now (committed), so the next round leaves it alone
    until it is silent or lost again.
    """
    found = list(
        session.scalars(
            select(Job)
            .where(
                or_(
                    (Job.state == "running") & (Job.heartbeat_at < now - stale),
                    (Job.state == "queued")
                    & (Job.run_after <= now - LOST_AFTER)
                    & (Job.enqueued_at <= now - LOST_AFTER),
                )
            )
            .order_by(Job.id)
            .limit(100)
        )
    )
    for job in found:
        job.enqueued_at = now
    session.commit()
    return found


def get(session: Session, job_id: int) -> Job:
    """One job, or NotFound."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    return job


def active(
    session: Session, kind: str, *, now: datetime | None = None, **payload: Any
) -> Job | None:
    """A running or queued job of ``kind`` whose payload has these values.

    With ``now``, a queued job counts only once due (not one scheduled for later).
    """
    queued = Job.state == "queued"
    if now is not None:
        queued = queued & (Job.run_after <= now)
    for job in session.scalars(
        select(Job).where(Job.kind == kind, (Job.state == "running") | queued)
    ):
        if all(job.payload.get(k) == v for k, v in payload.items()):
            return job
    return None


def listing(session: Session, *, limit: int = 100) -> dict[str, Sequence[Job]]:
    """The admin's view: running, queued and failed jobs, then the latest done."""

    def of(*states: str, newest_first: bool = True) -> Sequence[Job]:
        order = Job.id.desc() if newest_first else Job.run_after
        return session.scalars(
            select(Job).where(Job.state.in_(states)).order_by(order).limit(limit)
        ).all()

    return {
        "running": of("running"),
        "queued": of("queued", newest_first=False),
        "failed": of("failed"),
        "done": of("done"),
    }


def requeue_failed(session: Session, job_id: int, *, now: datetime) -> Job:
    """Make a failed job queued again (committed); ValidationFailed otherwise."""
    from comms.errors import ValidationFailed

    job = get(session, job_id)
    if job.state != "failed":
        raise ValidationFailed([f"job {job_id} is {job.state}, not failed"])
    job.state, job.run_after, job.enqueued_at = "queued", now, now
    session.commit()
    return job


def drop_queued(session: Session, kind: str, key_prefix: str) -> int:
    """Delete the queued jobs of ``kind`` whose key starts so (committed)."""
    from sqlalchemy import delete

    dropped = session.execute(
        delete(Job)
        .where(
            Job.kind == kind,
            Job.state == "queued",
            Job.key.startswith(key_prefix, autoescape=True),
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return int(getattr(dropped, "rowcount", 0))
