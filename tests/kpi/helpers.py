"""Helpers for the KPI tests: reading counters, logging in to the admin."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.kpi.models import DailyCount


def counts(session: Session, metric: str) -> dict[tuple[date, str], int]:
    """Every counter of ``metric`` as {(day, key): count}."""
    session.expire_all()
    rows = session.execute(
        select(DailyCount.day, DailyCount.key, DailyCount.count).where(
            DailyCount.metric == metric
        )
    ).all()
    return {(day, key): int(n) for day, key, n in rows}


def log_in(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Log the test client in to the admin as a new officer."""
    import time
    from datetime import UTC, datetime

    from comms.admin.auth import SESSION_KEY, open_login
    from comms.admin.models import User

    user = User(email=f"officer{time.monotonic_ns()}@example.org", password_hash="h")
    session.add(user)
    session.commit()
    token = open_login(session, user, now=datetime.now(UTC))
    with client.session_transaction() as sess:
        sess["user_id"] = user.id
        sess[SESSION_KEY] = token
