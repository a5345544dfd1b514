"""SQLite's plans of the statements a block of code runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def sqlite_plans(
    target: Any, wanted: Callable[[str], bool] = lambda _statement: True
) -> Iterator[list[str]]:
    """The plan of each statement ``target`` (an engine or a connection) runs
    meanwhile that ``wanted`` accepts, its lines joined by " | "; none on another
    database than SQLite (PostgreSQL plans by its statistics)."""
    plans: list[str] = []

    def explain(_conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any):
        if wanted(statement):
            plan = cursor.connection.execute(
                "EXPLAIN QUERY PLAN " + statement, parameters
            )
            plans.append(" | ".join(row[3] for row in plan))

    on_sqlite = target.dialect.name == "sqlite"
    if on_sqlite:
        event.listen(target, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        if on_sqlite:
            event.remove(target, "before_cursor_execute", explain)
