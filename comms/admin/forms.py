"""Admin forms as plain dataclasses: raw text in, a checked ItemDraft out.

Parsing never raises: it returns the draft and a list of problems, so a view can
re-render the form with exactly what the officer typed and every message at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from comms import kinds, zones
from comms.catalogue import register
from comms.kinds.registry import Field
from comms.rendering import clean_text
from comms.text import SLUG, slugify

# The limits of the fields every kind has (each kind's own are in comms.kinds).
LIMITS = {"title": 500, "slug": 200, "author": 200}
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ItemDraft:
    """Checked values of the item editor, ready for the service to apply."""

    kind: str
    columns: Mapping[str, Any]
    details: Mapping[str, Any]
    tags: tuple[str, ...] | None
    regions: tuple[str, ...]
    # Codes of the register's deliverables; None: the form had no such control.
    deliverables: tuple[str, ...] | None = None


@dataclass
class _Parser:
    raw: Mapping[str, str]
    problems: list[str] = field(default_factory=list)

    def text(self, name: str, *, required: bool = False) -> str:
        value = clean_text(self.raw.get(name, "")).strip()
        if required and not value:
            self.problems.append(f"{name}: required")
        limit = LIMITS.get(name)
        if limit and len(value) > limit:
            self.problems.append(f"{name}: at most {limit} characters")
        return value

    def slugs(self, name: str, allowed: set[str] | None = None) -> tuple[str, ...]:
        result: list[str] = []
        for part in self.raw.get(name, "").split(","):
            slug = "-".join(part.strip().lower().split())
            if not slug:
                continue
            if not SLUG.match(slug) or len(slug) > 100:
                self.problems.append(f"{name}: {slug!r} is not a slug")
            elif allowed is not None and slug not in allowed:
                self.problems.append(f"{name}: {slug!r} is not a partner region")
            elif slug not in result:
                result.append(slug)
        return tuple(result)

    def when(self, name: str) -> datetime | None:
        value = self.raw.get(name, "").strip()
        if not value:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            self.problems.append(f"{name}: use the form 2026-05-15T09:00 (UTC)")
        return parsed

    def contacts(self, name: str) -> list[dict[str, str]]:
        """One contact a line: name; organisation; e-mail; phone."""
        keys = ("name", "organisation", "email", "phone")
        result = []
        for line in _lines(self.raw.get(name, "")):
            parts = [p.strip() for p in line.split(";")]
            result.append({k: v for k, v in zip(keys, parts, strict=False) if v})
        return result

    def field(self, field: Field) -> Any:
        """A kind's field read from its widget and checked by the field's own check.

        Empty gives None (or the field's default); the reason of a refused value is
        the one the content-file import gives.
        """
        name, widget = field.name, field.widget
        value: Any
        if widget == "datetime":
            value = self.when(name)
        elif widget == "number":
            value = self.count(name)
        elif widget == "checkbox":
            return self.raw.get(name) in ("1", "on", "true")
        elif widget == "lines":
            value = _lines(self.raw.get(name, ""))
        elif widget == "slugs":
            value = list(self.slugs(name)) or None
        elif widget == "contacts":
            value = self.contacts(name)
        else:
            value = clean_text(self.raw.get(name, "")).strip() or None
        typed = self.raw.get(name, "").strip()
        if field.required and not typed:
            self.problems.append(f"{name}: required")
        if value is None:
            return field.default
        try:
            return field.parse(value)
        except ValueError as exc:  # the same reason the content-file import gives
            self.problems.append(f"{name}: {exc}")
            return value

    def count(self, name: str) -> int | None:
        value = self.raw.get(name, "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 9:
            self.problems.append(f"{name}: must be a whole number of 0 or more")
            return None
        return int(value)


def parse_deliverables(codes: Sequence[str], problems: list[str]) -> tuple[str, ...]:
    """The deliverable codes ticked in the editor, each checked for its form."""
    result: list[str] = []
    for raw in codes:
        try:
            code = register.deliverable_code(raw)
        except ValueError as exc:
            problems.append(f"deliverables: {exc}")
            continue
        if code not in result:
            result.append(code)
    return tuple(result)


def _stated_offset(text: str) -> bool:
    return text.endswith(("Z", "z")) or bool(re.search(r"[+-]\d\d:?\d\d$", text))


def parse_datetime(value: str) -> datetime | None:
    """A UTC time from a datetime-local field, or None when it does not parse.

    A time that names its own offset (``2026-05-15T09:00Z``, ``…+02:00``), as a
    script may send, is taken at that offset.
    """
    text = value.strip()
    if _stated_offset(text):
        try:
            stated = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
        except ValueError:
            return None
        return stated.astimezone(UTC) if stated.tzinfo else None
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def parse_local_datetime(value: str, zone_name: str) -> datetime | None:
    """A time typed in the site's zone (a datetime-local field) as UTC, or None;
    a time that names its own offset is taken at that offset."""
    parsed = parse_datetime(value)
    if parsed is None or _stated_offset(value.strip()):
        return parsed
    return parsed.replace(tzinfo=zones.zone(zone_name)).astimezone(UTC)


def local_input(value: datetime | None, zone_name: str) -> str:
    """A UTC time as a datetime-local field in the site's zone shows it."""
    if value is None:
        return ""
    return value.astimezone(zones.zone(zone_name)).strftime("%Y-%m-%dT%H:%M:%S")


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in clean_text(raw).splitlines() if line.strip()]


def parse_item_form(
    kind: str,
    raw: Mapping[str, str],
    *,
    languages: Sequence[str],
    regions: set[str] | None,
) -> tuple[ItemDraft, list[str]]:
    """Check the editor's fields for ``kind``; return the draft and the problems."""
    p = _Parser(raw)
    columns: dict[str, Any] = {}
    details: dict[str, Any] = {}
    tags: tuple[str, ...] | None = None
    region_slugs = p.slugs("regions", regions)
    if not kinds.get(kind).synced:
        columns["title"] = p.text("title", required=True)
        slug = p.text("slug") or slugify(columns["title"], fallback="")
        if not slug and columns["title"]:
            p.problems.append("slug: required (the title gives none)")
        elif slug and not SLUG.match(slug):
            p.problems.append("slug: lowercase letters, digits and hyphens only")
        columns["slug"] = slug
        language = p.text("language", required=True)
        if language and language not in languages:
            p.problems.append(f"language: use one of {', '.join(languages)}")
        columns["language"] = language
        columns["summary"] = p.text("summary")
        columns["body"] = clean_text(raw.get("body", "")).replace("\r\n", "\n")
        columns["author"] = p.text("author") or None
        tags = p.slugs("tags")
    spec = kinds.get(kind)
    parsed: dict[str, Any] = {}
    for spec_field in spec.form_fields:
        parsed[spec_field.name] = p.field(spec_field)
        target = columns if spec_field.storage == "column" else details
        target[spec_field.name] = parsed[spec_field.name]
    if spec.check is not None:
        p.problems.extend(spec.check(parsed))
    draft = ItemDraft(
        kind=kind, columns=columns, details=details, tags=tags, regions=region_slugs
    )
    return draft, p.problems


def item_form_values(item: Any) -> dict[str, str]:
    """The editor's fields filled from a stored item."""
    values = {
        "title": item.title or "",
        "slug": item.slug or "",
        "language": item.language or "",
        "summary": item.summary or "",
        "body": item.body or "",
        "author": item.author or "",
        "tags": ", ".join(t.name for t in item.tags),
        "regions": ", ".join(r.name for r in item.regions),
        "version": str(item.version or ""),
        "deliverables": ", ".join(d.code for d in item.deliverables),
    }
    details = item.details or {}
    for spec in kinds.get(item.kind).form_fields:
        stored = (
            getattr(item, spec.name)
            if spec.storage == "column"
            else details.get(spec.name)
        )
        values[spec.name] = _form_text(spec, stored)
    return values


def _form_text(field: Field, value: Any) -> str:
    """A stored value as its widget shows it."""
    if value is None:
        return ""
    if field.widget == "datetime":
        return str(value.strftime("%Y-%m-%dT%H:%M"))
    if field.widget == "checkbox":
        return "1" if value else ""
    if field.widget == "lines":
        return "\n".join(str(v) for v in value)
    if field.widget == "slugs":
        return ", ".join(value)
    if field.widget == "contacts":
        keys = ("name", "organisation", "email", "phone")
        lines = ["; ".join(c.get(k, "") for k in keys).rstrip("; ") for c in value]
        return "\n".join(lines)
    return str(value)
