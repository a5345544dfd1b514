"""``content/deliverables.yml``: the register as a content file, read and written.

Checked with the admin's own checks (comms.catalogue.register); an import upserts
by code, an export writes the register back so that importing it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from comms.catalogue.models import Deliverable, WorkPackage
from comms.catalogue.register import (
    DeliverableDraft,
    WorkPackageDraft,
    check_deliverable,
    check_work_package,
    deliverables,
    work_packages,
)

REGISTER_FILE = "deliverables.yml"


@dataclass(frozen=True)
class RegisterFile:
    """The register as ``content/deliverables.yml`` declares it."""

    work_packages: tuple[WorkPackageDraft, ...] = ()
    deliverables: tuple[DeliverableDraft, ...] = ()

    @property
    def codes(self) -> set[str]:
        """The deliverable codes the file declares."""
        return {d.code for d in self.deliverables}


def read_register_file(root: Path) -> tuple[RegisterFile, list[str]]:
    """Read and check ``root/deliverables.yml``; problems are ``path: reason``."""
    path = root / REGISTER_FILE
    if not path.exists():
        return RegisterFile(), []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return RegisterFile(), [f"{path}: not valid YAML"]
    if not isinstance(data, dict) or set(data) - {"work_packages", "deliverables"}:
        return RegisterFile(), [
            f"{path}: expected only the keys work_packages and deliverables"
        ]
    problems: list[str] = []
    packages = _entries(path, data, "work_packages", check_work_package, problems)
    found = _entries(path, data, "deliverables", check_deliverable, problems)
    codes = {p.code for p in packages}
    for key, entries in (("work_packages", packages), ("deliverables", found)):
        seen: set[str] = set()
        for entry in entries:
            if entry.code in seen:
                problems.append(f"{path}: {key}: {entry.code} is declared twice")
            seen.add(entry.code)
    for item in found:
        if item.work_package and item.work_package not in codes:
            problems.append(
                f"{path}: deliverables: {item.code}: work_package "
                f"{item.work_package} is not among the work_packages"
            )
    if problems:
        return RegisterFile(), problems
    return RegisterFile(tuple(packages), tuple(found)), []


def _entries(
    path: Path, data: dict[str, Any], key: str, check: Any, problems: list[str]
) -> list[Any]:
    raw = data.get(key) or []
    if not isinstance(raw, list):
        problems.append(f"{path}: {key}: must be a list")
        return []
    result = []
    for number, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            problems.append(f"{path}: {key}[{number}]: must be a mapping")
            continue
        allowed = (
            {"code", "title"}
            if key == "work_packages"
            else {"code", "title", "work_package", "due", "description"}
        )
        extra = sorted(set(entry) - allowed)
        if extra:
            problems.append(f"{path}: {key}[{number}]: unknown key {extra[0]!r}")
            continue
        draft, found = check(entry)
        label = entry.get("code", number)
        problems.extend(f"{path}: {key}: {label}: {p}" for p in found)
        result.append(draft)
    return result


def apply_register(session: Session, declared: RegisterFile) -> int:
    """Upsert the file's work packages and deliverables by code; return changes."""
    changed = 0
    packages = {p.code: p for p in session.scalars(select(WorkPackage))}
    for draft in declared.work_packages:
        package = packages.get(draft.code)
        if package is None:
            package = packages[draft.code] = WorkPackage(code=draft.code)
            session.add(package)
        if package.title != draft.title:
            package.title = draft.title
            changed += 1
    existing = {d.code: d for d in session.scalars(select(Deliverable))}
    for d in declared.deliverables:
        row = existing.get(d.code)
        if row is None:
            row = existing[d.code] = Deliverable(code=d.code)
            session.add(row)
        package = packages[d.work_package]
        now = (row.title, row.due, row.description, row.work_package)
        if now != (d.title, d.due, d.description, package):
            row.title, row.due, row.description = d.title, d.due, d.description
            row.work_package = package
            changed += 1
    session.flush()
    return changed


def register_document(session: Session) -> dict[str, Any] | None:
    """The register as ``deliverables.yml`` holds it, or None when it is empty."""
    packages = work_packages(session)
    if not packages:
        return None
    return {
        "work_packages": [{"code": p.code, "title": p.title} for p in packages],
        "deliverables": [
            {
                "code": d.code,
                "title": d.title,
                "work_package": d.work_package.code,
                "due": d.due.isoformat(),
                **({"description": d.description} if d.description else {}),
            }
            for d in deliverables(session)
        ],
    }


def dump_register(document: dict[str, Any]) -> str:
    """The register document as YAML text, in a stable form."""
    return yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, default_flow_style=False
    )
