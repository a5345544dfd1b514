"""The dashboard: what needs doing, what is coming, what changed lately."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from comms import kinds
from comms.admin import dashboard as dashboard_service
from comms.admin.views.blueprint import bp, render
from comms.admin.views.items import kind_labels
from comms.context import get_session


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def dashboard_context(**extra: Any) -> dict[str, Any]:
    """What the dashboard template needs (the sync button's page reuses it)."""
    now = _now()
    return {
        "board": dashboard_service.build_dashboard(get_session(), now),
        "labels": kind_labels(),
        "writable": [k for k in kinds.all_kinds() if not k.synced],
        "now": now,
        **extra,
    }


@bp.get("/")
def dashboard() -> tuple[str, int]:
    """Counts, drafts, scheduled items, recent changes, video sync, subscribers."""
    return render("admin/dashboard.html", **dashboard_context())
