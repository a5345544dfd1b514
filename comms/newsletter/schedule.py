"""Queueing an issue's send for the worker, at the time an officer chose."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from comms.catalogue.models import Newsletter
from comms.jobs import queue
from comms.jobs.service import NewJob


def schedule_send(
    app: Flask, session: Session, letter: Newsletter, when: datetime
) -> object:
    """Queue the send of ``letter``'s issue at ``when`` (once per issue and time)."""
    return queue.submit(
        app, session,
        NewJob("newsletter-send",
               {"issue_id": letter.id, "send_at": when.isoformat()},
               f"Send newsletter {letter.slug} (scheduled)",
               key=f"newsletter-send:{letter.translation}@{when.isoformat()}",
               run_after=when),
    )  # fmt: skip
