"""The register of work packages and deliverables, and the items linked to them.

One set of checks serves every door: the admin's forms, ``content/deliverables.yml``
and the ``deliverables:`` key of any content file. Each check returns the problems
as ``field: reason`` lines; the service functions raise ``ValidationFailed``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comms.catalogue.models import Deliverable, Item, ItemDeliverable, WorkPackage
from comms.errors import NotFound, ValidationFailed
from comms.rendering import clean_text

REGISTER_FILE = "deliverables.yml"
# D2.1, D1, D.T1.2.1 (Interreg): a D, then numbered parts separated by dots.
DELIVERABLE_CODE = re.compile(r"^D(?:\.?[A-Z]{0,3}[0-9]+)(?:\.[0-9]+){0,3}$")
# WP2, T1, C, M: capital letters, then an optional number.
WORK_PACKAGE_CODE = re.compile(r"^[A-Z]{1,4}[0-9]{0,3}$")
DELIVERABLE_FORMAT = "like D2.1 or D.T1.2.1 (a capital D, then numbers with dots)"
WORK_PACKAGE_FORMAT = "like WP2 or T1 (capital letters, then a number)"
TITLE_LIMIT = 300
DESCRIPTION_LIMIT = 5000


@dataclass(frozen=True)
class WorkPackageDraft:
    """A work package's checked values."""

    code: str
    title: str


@dataclass(frozen=True)
class DeliverableDraft:
    """A deliverable's checked values; ``work_package`` is the package's code."""

    code: str
    title: str
    work_package: str
    due: date
    description: str = ""


# --- checks shared by every door ----------------------------------------------------


def deliverable_code(value: Any) -> str:
    """A deliverable code such as D2.1; ValueError with the expected form otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # YAML reads [2.1] as a number
    if not isinstance(value, str):
        raise ValueError(f"a deliverable code is text {DELIVERABLE_FORMAT}")
    code = value.strip()
    if not DELIVERABLE_CODE.match(code):
        raise ValueError(
            f"{code[:40]!r} is not a deliverable code {DELIVERABLE_FORMAT}"
        )
    return code


def work_package_code(value: Any) -> str:
    """A work package code such as WP2; ValueError with the expected form otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"a work package code is text {WORK_PACKAGE_FORMAT}")
    code = value.strip()
    if not WORK_PACKAGE_CODE.match(code):
        raise ValueError(
            f"{code[:40]!r} is not a work package code {WORK_PACKAGE_FORMAT}"
        )
    return code


def deliverable_codes(value: Any) -> list[str]:
    """The ``deliverables:`` of a content file: a list of distinct codes."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("must be a list of deliverable codes, e.g. [D2.1]")
    codes: list[str] = []
    for entry in value:
        code = deliverable_code(entry)
        if code not in codes:
            codes.append(code)
    return codes


def _title(raw: Mapping[str, Any], problems: list[str]) -> str:
    value = raw.get("title")
    title = clean_text(str(value)).strip() if isinstance(value, str | int) else ""
    if not title:
        problems.append("title: required")
    elif len(title) > TITLE_LIMIT or "\n" in title:
        problems.append(f"title: one line of at most {TITLE_LIMIT} characters")
    return title


def _code(raw: Mapping[str, Any], key: str, check: Any, problems: list[str]) -> str:
    value = raw.get(key)
    if value is None or value == "":
        problems.append(f"{key}: required")
        return ""
    try:
        result: str = check(value)
    except ValueError as exc:
        problems.append(f"{key}: {exc}")
        return ""
    return result


def check_work_package(raw: Mapping[str, Any]) -> tuple[WorkPackageDraft, list[str]]:
    """A work package from a form or a file: the draft and its problems."""
    problems: list[str] = []
    code = _code(raw, "code", work_package_code, problems)
    title = _title(raw, problems)
    return WorkPackageDraft(code, title), problems


def check_deliverable(raw: Mapping[str, Any]) -> tuple[DeliverableDraft, list[str]]:
    """A deliverable from a form or a file: the draft and its problems."""
    problems: list[str] = []
    code = _code(raw, "code", deliverable_code, problems)
    title = _title(raw, problems)
    package = _code(raw, "work_package", work_package_code, problems)
    due = _due(raw.get("due"), problems)
    described = raw.get("description") or ""
    description = clean_text(str(described)).replace("\r\n", "\n").strip()
    if len(description) > DESCRIPTION_LIMIT:
        problems.append(f"description: at most {DESCRIPTION_LIMIT} characters")
    draft = DeliverableDraft(code, title, package, due or date.min, description)
    return draft, problems


def _due(value: Any, problems: list[str]) -> date | None:
    if isinstance(value, date):
        return value
    if value is None or value == "":
        problems.append("due: required (the date the deliverable is due)")
        return None
    try:
        due = date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"due: {str(value)[:40]!r} is not a date like 2027-03-31")
        return None
    if not 1990 <= due.year <= 2199:
        problems.append("due: give a year between 1990 and 2199")
        return None
    return due


# --- the register ------------------------------------------------------------------


def work_packages(session: Session) -> list[WorkPackage]:
    """Every work package by code, each with its deliverables."""
    return list(session.scalars(select(WorkPackage).order_by(WorkPackage.code)))


def deliverables(session: Session) -> list[Deliverable]:
    """Every deliverable by code."""
    return list(session.scalars(select(Deliverable).order_by(Deliverable.code)))


def output_counts(session: Session) -> dict[int, int]:
    """How many items are linked to each deliverable, by deliverable id."""
    rows = session.execute(
        select(ItemDeliverable.deliverable_id, func.count()).group_by(
            ItemDeliverable.deliverable_id
        )
    ).all()
    return {deliverable_id: int(n) for deliverable_id, n in rows}


def get_deliverable(session: Session, code: str) -> Deliverable:
    """The deliverable with this code."""
    found = session.scalars(select(Deliverable).where(Deliverable.code == code)).first()
    if found is None:
        raise NotFound(f"no deliverable {code!r}")
    return found


def get_work_package(session: Session, package_id: int) -> WorkPackage:
    """The work package with this id."""
    found = session.get(WorkPackage, package_id)
    if found is None:
        raise NotFound(f"no work package {package_id}")
    return found


def _taken(session: Session, model: Any, code: str, own_id: int | None) -> bool:
    stmt = select(model.id).where(model.code == code, model.id != (own_id or 0))
    with session.no_autoflush:
        return session.scalars(stmt).first() is not None


def save_work_package(
    session: Session, draft: WorkPackageDraft, package_id: int | None = None
) -> WorkPackage:
    """Create a work package, or change the one with ``package_id``; commit."""
    if _taken(session, WorkPackage, draft.code, package_id):
        raise ValidationFailed([f"code: {draft.code} is already a work package"])
    package = (
        WorkPackage() if package_id is None else get_work_package(session, package_id)
    )
    package.code, package.title = draft.code, draft.title
    session.add(package)
    session.commit()
    return package


def save_deliverable(
    session: Session, draft: DeliverableDraft, deliverable_id: int | None = None
) -> Deliverable:
    """Create a deliverable, or change the one with ``deliverable_id``; commit."""
    if _taken(session, Deliverable, draft.code, deliverable_id):
        raise ValidationFailed([f"code: {draft.code} is already a deliverable"])
    package = session.scalars(
        select(WorkPackage).where(WorkPackage.code == draft.work_package)
    ).first()
    if package is None:
        raise ValidationFailed(
            [f"work_package: {draft.work_package} is not in the register"]
        )
    if deliverable_id is None:
        found = Deliverable()
    else:
        found = session.get(Deliverable, deliverable_id) or _missing(deliverable_id)
    found.code, found.title, found.due = draft.code, draft.title, draft.due
    found.description, found.work_package = draft.description, package
    session.add(found)
    session.commit()
    return found


def _missing(deliverable_id: int) -> Deliverable:
    raise NotFound(f"no deliverable {deliverable_id}")


def delete_deliverable(session: Session, deliverable_id: int) -> str:
    """Delete a deliverable no output is linked to; return its code."""
    found = session.get(Deliverable, deliverable_id) or _missing(deliverable_id)
    linked = output_counts(session).get(found.id, 0)
    if linked:
        raise ValidationFailed(
            [f"{found.code}: {linked} output(s) are linked to it; unlink them first"]
        )
    code = found.code
    session.delete(found)
    session.commit()
    return code


def delete_work_package(session: Session, package_id: int) -> str:
    """Delete a work package that has no deliverables; return its code."""
    package = get_work_package(session, package_id)
    if package.deliverables:
        raise ValidationFailed(
            [f"{package.code}: it still has {len(package.deliverables)} "
             "deliverable(s); move or delete them first"]
        )  # fmt: skip
    code = package.code
    session.delete(package)
    session.commit()
    return code


# --- links of items ------------------------------------------------------------------


def resolve(session: Session, codes: Iterable[str]) -> list[Deliverable]:
    """The deliverables with these codes; ValidationFailed naming the unknown ones."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return []
    found = {
        d.code: d
        for d in session.scalars(
            select(Deliverable).where(Deliverable.code.in_(wanted))
        )
    }
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ValidationFailed(
            [f"deliverables: {', '.join(unknown)} not in the register "
             "(add it under Deliverables first)"]
        )  # fmt: skip
    return [found[code] for code in wanted]


def link_codes(item: Item, listed: Sequence[str], known: set[str]) -> list[str]:
    """The codes an item links to: those listed, plus a report's own ``deliverable``.

    A report's ``deliverable`` field (the code printed on it) is an alias: when the
    code is in the register the report is linked to it; when not, it stays text.
    """
    codes = list(dict.fromkeys(listed))
    own = (item.deliverable or "").strip()
    if own and own in known and own not in codes:
        codes.append(own)
    return sorted(codes)


def set_links(item: Item, chosen: Sequence[Deliverable]) -> bool:
    """Make ``chosen`` the item's deliverables; True when that changed anything."""
    ordered = sorted(chosen, key=lambda d: d.code)
    if [d.code for d in item.deliverables] == [d.code for d in ordered]:
        return False
    item.deliverables = ordered
    return True


def outputs(session: Session, deliverable: Deliverable) -> list[Item]:
    """Every item linked to a deliverable, by kind, translation and language."""
    return list(
        session.scalars(
            select(Item)
            .join(ItemDeliverable, ItemDeliverable.item_id == Item.id)
            .where(ItemDeliverable.deliverable_id == deliverable.id)
            .order_by(Item.kind, Item.translation, Item.language)
        )
    )


# --- content/deliverables.yml ------------------------------------------------------


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
