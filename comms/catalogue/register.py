"""The register of work packages and deliverables, and the items linked to them.

One set of checks serves every door: the admin's forms, ``content/deliverables.yml``
(comms.catalogue.register_file) and the ``deliverables:`` key of any content file.
Each check returns the problems as ``field: reason`` lines; the service functions
raise ``ValidationFailed``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comms.catalogue.models import Deliverable, Item, ItemDeliverable, WorkPackage
from comms.errors import NotFound, ValidationFailed
from comms.rendering import clean_text

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
