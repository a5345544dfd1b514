"""The audit log: one entry per change, with the before and after of the target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comms.admin.models import AuditEntry, User
from comms.catalogue.models import Item, Newsletter

ITEM_FIELDS = (
    "kind", "slug", "language", "translation", "title", "summary", "body", "status",
    "author", "image", "report_type", "deliverable", "work_package", "licence", "doi",
    "location", "participants", "override_title", "override_summary",
    "override_tags", "hidden",
)  # fmt: skip
TIME_FIELDS = ("published_at", "starts_at", "ends_at")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def item_snapshot(item: Item) -> dict[str, Any]:
    """What an officer can change on an item, as JSON-ready values."""
    data: dict[str, Any] = {name: getattr(item, name) for name in ITEM_FIELDS}
    data.update({name: _jsonable(getattr(item, name)) for name in TIME_FIELDS})
    data["details"] = dict(item.details or {})
    data["tags"] = [t.name for t in item.tags]
    data["regions"] = [r.name for r in item.regions]
    data["files"] = [
        {"filename": f.filename, "sha256": f.sha256, "pages": f.page_count}
        for f in item.files
    ]
    return data


def user_snapshot(user: User) -> dict[str, Any]:
    """An account's visible fields (never its password hash)."""
    return {
        "email": user.email,
        "role": user.role,
        "active": user.active,
        "password_changed_at": _jsonable(user.password_changed_at),
    }


def newsletter_snapshot(letter: Newsletter) -> dict[str, Any]:
    """What an officer can change on a newsletter issue, as JSON-ready values."""
    return {
        "slug": letter.slug,
        "language": letter.language,
        "translation": letter.translation,
        "number": letter.number,
        "title": letter.title,
        "intro": letter.intro,
        "status": letter.status,
        "published_at": _jsonable(letter.published_at),
        "send_at": _jsonable(letter.send_at),
        "items": [f"{e.kind}:{e.slug}" for e in letter.entries],
    }


@dataclass(frozen=True)
class Target:
    """A target that is not a row of its own (e.g. ``videos``/``sync``)."""

    type: str
    id: str
    summary: str


def record(
    session: Session,
    actor: User | None,
    action: str,
    target: Item | User | Newsletter | Target,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    summary: str = "",
    now: datetime,
) -> AuditEntry:
    """Add an audit entry for ``action`` on ``target`` to the session (no commit)."""
    if isinstance(target, Item):
        target_type, target_id = "item", str(target.id)
        summary = summary or f"{target.kind} {target.slug}.{target.language}"
    elif isinstance(target, Newsletter):
        target_type, target_id = "newsletter", str(target.id)
        summary = summary or f"newsletter {target.slug}.{target.language}"
    elif isinstance(target, Target):
        target_type, target_id = target.type, target.id
        summary = summary or target.summary
    else:
        target_type, target_id = "user", str(target.id)
        summary = summary or target.email
    entry = AuditEntry(
        at=now,
        user_id=actor.id if actor else None,
        user_email=actor.email if actor else "command line",
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:1000],
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditPage:
    """One page of the audit log, newest first."""

    entries: list[AuditEntry]
    number: int
    has_next: bool


def audit_page(
    session: Session, *, page: int, page_size: int = 50, target: str | None = None
) -> AuditPage:
    """The audit log, newest first, optionally of one target (``item:12``)."""
    stmt = select(AuditEntry)
    if target and ":" in target:
        kind, _, ident = target.partition(":")
        stmt = stmt.where(AuditEntry.target_type == kind, AuditEntry.target_id == ident)
    rows = list(
        session.scalars(
            stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size + 1)
        )
    )
    return AuditPage(rows[:page_size], page, len(rows) > page_size)


def count_entries(session: Session) -> int:
    """How many audit entries exist."""
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def changed_keys(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[str]:
    """The keys whose values differ between two snapshots."""
    before, after = before or {}, after or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
