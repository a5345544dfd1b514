"""Admin forms as plain dataclasses: raw text in, a checked ItemDraft out.

Parsing never raises: it returns the draft and a list of problems, so a view can
re-render the form with exactly what the officer typed and every message at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from comms import links, zones
from comms.rendering import clean_text
from comms.text import SLUG, slugify

COMMON_FIELDS = (
    "title", "slug", "language", "summary", "body", "author", "tags", "regions",
)  # fmt: skip
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "press_release": ("contacts",),
    "report": (
        "report_type",
        "deliverable",
        "work_package",
        "licence",
        "doi",
        "authors",
    ),  # fmt: skip
    "event": (
        "starts_at",
        "ends_at",
        "timezone",
        "location",
        "online_url",
        "registration_url",
        "participants",
    ),  # fmt: skip
    "video": ("override_title", "override_summary", "override_tags", "hidden"),
}
LIMITS = {"title": 500, "slug": 200, "author": 200, "report_type": 100,
          "deliverable": 50, "work_package": 50, "licence": 50, "doi": 200,
          "location": 300, "override_title": 500}  # fmt: skip
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class ItemDraft:
    """Checked values of the item editor, ready for the service to apply."""

    kind: str
    columns: Mapping[str, Any]
    details: Mapping[str, Any]
    tags: tuple[str, ...] | None
    regions: tuple[str, ...]


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

    def url(self, name: str) -> str | None:
        """A public http(s) address, or None when the field is empty."""
        return self.checked(name, links.public_url)

    def zone(self, name: str) -> str | None:
        """An IANA time zone name, or None when the field is empty."""
        return self.checked(name, zones.zone_name)

    def checked(self, name: str, check: Callable[[str], str]) -> str | None:
        """The field as ``check`` accepts it (the check every other door uses)."""
        value = self.text(name)
        if not value:
            return None
        try:
            return check(value)
        except ValueError as exc:  # the same reason the content-file import gives
            self.problems.append(f"{name}: {exc}")
            return value

    def contacts(self, name: str) -> list[dict[str, str]]:
        keys = ("name", "organisation", "email", "phone")
        result = []
        for line in _lines(self.raw.get(name, "")):
            parts = [p.strip() for p in line.split(";")]
            contact = {k: v for k, v in zip(keys, parts, strict=False) if v}
            if "email" in contact:
                try:
                    contact["email"] = links.email_address(contact["email"])
                except ValueError as exc:
                    self.problems.append(f"{name}: email: {exc}")
            result.append(contact)
        return result

    def count(self, name: str) -> int | None:
        value = self.raw.get(name, "").strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 9:
            self.problems.append(f"{name}: must be a whole number of 0 or more")
            return None
        return int(value)


def parse_datetime(value: str) -> datetime | None:
    """A UTC time from a datetime-local field, or None when it does not parse."""
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


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
    if kind != "video":
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
    if kind == "press_release":
        details["contacts"] = p.contacts("contacts")
    elif kind == "report":
        for name in ("report_type", "deliverable", "work_package", "doi"):
            columns[name] = p.text(name) or None
        columns["licence"] = p.text("licence") or "CC-BY-4.0"
        details["authors"] = _lines(raw.get("authors", ""))
    elif kind == "event":
        columns["starts_at"] = p.when("starts_at")
        columns["ends_at"] = p.when("ends_at")
        starts, ends = columns["starts_at"], columns["ends_at"]
        if starts is None and not raw.get("starts_at", "").strip():
            p.problems.append("starts_at: required")
        if starts and ends and ends < starts:
            p.problems.append("ends_at: must not be before starts_at")
        columns["location"] = p.text("location") or None
        columns["participants"] = p.count("participants")
        details["online_url"] = p.url("online_url")
        details["registration_url"] = p.url("registration_url")
        details["timezone"] = p.zone("timezone")
    elif kind == "video":
        columns["override_title"] = p.text("override_title") or None
        summary = clean_text(raw.get("override_summary", "")).strip()
        columns["override_summary"] = summary or None
        override_tags = p.slugs("override_tags")
        columns["override_tags"] = list(override_tags) if override_tags else None
        columns["hidden"] = raw.get("hidden") in ("1", "on", "true")
    draft = ItemDraft(
        kind=kind, columns=columns, details=details, tags=tags, regions=region_slugs
    )
    return draft, p.problems


def item_form_values(item: Any) -> dict[str, str]:
    """The editor's fields filled from a stored item."""

    def stamp(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%dT%H:%M") if value else ""

    details = item.details or {}
    contacts = [
        "; ".join(c.get(k, "") for k in ("name", "organisation", "email", "phone"))
        for c in details.get("contacts", [])
    ]
    return {
        "title": item.title or "",
        "slug": item.slug or "",
        "language": item.language or "",
        "summary": item.summary or "",
        "body": item.body or "",
        "author": item.author or "",
        "tags": ", ".join(t.name for t in item.tags),
        "regions": ", ".join(r.name for r in item.regions),
        "contacts": "\n".join(c.rstrip("; ") for c in contacts),
        "report_type": item.report_type or "",
        "deliverable": item.deliverable or "",
        "work_package": item.work_package or "",
        "licence": item.licence or "",
        "doi": item.doi or "",
        "authors": "\n".join(details.get("authors", [])),
        "starts_at": stamp(item.starts_at),
        "ends_at": stamp(item.ends_at),
        "location": item.location or "",
        "participants": "" if item.participants is None else str(item.participants),
        "online_url": details.get("online_url") or "",
        "registration_url": details.get("registration_url") or "",
        "timezone": details.get("timezone") or "",
        "override_title": item.override_title or "",
        "override_summary": item.override_summary or "",
        "override_tags": ", ".join(item.override_tags or []),
        "hidden": "1" if item.hidden else "",
        "version": str(item.version or ""),
    }
