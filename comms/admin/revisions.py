"""Item revisions: what each save left, the differences with now, and restoring.

A revision keeps the editor's values (the text the form shows), so a restore goes
through the same parsing and checks as a save typed by hand.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.admin.forms import item_form_values
from comms.admin.models import ItemRevision, User
from comms.catalogue.models import Item
from comms.errors import NotFound

# Unchanged lines shown around each change; longer unchanged runs are folded.
CONTEXT = 2
# Fields every editable item has, in the order the diff shows them.
LABELS = {
    "title": "Title",
    "slug": "Slug",
    "language": "Language",
    "summary": "Summary",
    "body": "Body",
    "author": "Author",
    "tags": "Topics",
    "regions": "Regions",
}


def editable_fields(item: Item) -> dict[str, str]:
    """The item's editor values, without the form's version number."""
    values = item_form_values(item)
    values.pop("version", None)
    return values


def record(
    session: Session,
    actor: User,
    item: Item,
    now: datetime,
    *,
    autosave: bool = False,
    note: str = "",
) -> ItemRevision:
    """Keep the item's fields as this save left them (flushed, not committed).

    An autosave by the officer who made the last revision, itself an autosave,
    updates that revision instead of adding one.
    """
    fields = editable_fields(item)
    last = latest(session, item.id) if autosave else None
    if last is not None and last.autosave and last.user_id == actor.id:
        last.version, last.at, last.fields = item.version, now, fields
        return last
    revision = ItemRevision(
        item_id=item.id,
        version=item.version,
        user_id=actor.id,
        user_email=actor.email,
        at=now,
        autosave=autosave,
        note=note[:200],
        fields=fields,
    )
    session.add(revision)
    return revision


def latest(session: Session, item_id: int) -> ItemRevision | None:
    """The item's newest revision, if any."""
    return session.scalars(
        select(ItemRevision)
        .where(ItemRevision.item_id == item_id)
        .order_by(ItemRevision.at.desc(), ItemRevision.id.desc())
        .limit(1)
    ).first()


def list_revisions(session: Session, item_id: int) -> list[ItemRevision]:
    """Every revision of an item, newest first."""
    return list(
        session.scalars(
            select(ItemRevision)
            .where(ItemRevision.item_id == item_id)
            .order_by(ItemRevision.at.desc(), ItemRevision.id.desc())
        )
    )


def get_revision(session: Session, item_id: int, revision_id: int) -> ItemRevision:
    """One revision of this item (NotFound for another item's)."""
    revision = session.get(ItemRevision, revision_id)
    if revision is None or revision.item_id != item_id:
        raise NotFound(f"no revision {revision_id} of item {item_id}")
    return revision


def restore_values(revision: ItemRevision, current_version: int) -> dict[str, str]:
    """The editor's form as a restore sends it: the revision's text, today's version."""
    fields: Mapping[str, Any] = revision.fields or {}
    values = {str(k): "" if v is None else str(v) for k, v in fields.items()}
    values["version"] = str(current_version)
    return values


@dataclass(frozen=True)
class DiffLine:
    """One line of a field's difference: 'same', 'removed', 'added' or 'folded'."""

    change: str
    text: str


@dataclass(frozen=True)
class FieldDiff:
    """The differences of one field between a revision and the current text."""

    name: str
    label: str
    lines: tuple[DiffLine, ...]


def diff_fields(
    old: Mapping[str, Any], new: Mapping[str, Any], labels: Mapping[str, str]
) -> list[FieldDiff]:
    """Each field whose text differs, line by line (pure; difflib's matching)."""
    names = [*labels, *sorted((set(old) | set(new)) - set(labels))]
    result = []
    for name in names:
        before, after = _text(old.get(name)), _text(new.get(name))
        if before == after:
            continue
        lines = tuple(_lines(before.splitlines(), after.splitlines()))
        result.append(FieldDiff(name, labels.get(name, name), lines))
    return result


def _text(value: Any) -> str:
    return "" if value is None else str(value).replace("\r\n", "\n")


def _lines(before: list[str], after: list[str]) -> list[DiffLine]:
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    out: list[DiffLine] = []
    opcodes = matcher.get_opcodes()
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            out.extend(_context(before[i1:i2], index, len(opcodes)))
            continue
        out.extend(DiffLine("removed", line) for line in before[i1:i2])
        out.extend(DiffLine("added", line) for line in after[j1:j2])
    return out


def _context(same: list[str], index: int, total: int) -> list[DiffLine]:
    """Unchanged lines next to a change; a long run in between is folded."""
    head = same[:CONTEXT] if index > 0 else []
    tail = same[-CONTEXT:] if index < total - 1 else []
    if len(same) <= len(head) + len(tail):
        return [DiffLine("same", line) for line in same]
    folded = len(same) - len(head) - len(tail)
    return [
        *(DiffLine("same", line) for line in head),
        DiffLine("folded", f"{folded} unchanged line{'s' if folded > 1 else ''}"),
        *(DiffLine("same", line) for line in tail),
    ]
