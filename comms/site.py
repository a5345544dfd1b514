"""The site's identity from `content/site.yml`: name, languages, funding, regions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from comms import links, zones
from comms.errors import ConfigMissing
from comms.rendering import ONE_LINE_PROBLEM, is_one_line


@dataclass(frozen=True)
class Site:
    """Who publishes: read once at start from site.yml, with safe defaults."""

    name: str = "comms"
    description: str = ""
    default_language: str = "en"
    languages: tuple[str, ...] = ("en",)
    programme_name: str = ""
    programme_url: str = ""
    funding_text: str = "Co-funded by the European Union"
    emblem: str | None = None
    emblem_alt: str = "Flag of the European Union"
    funder: str = ""
    grant: str = ""
    contact: str = ""
    # files under media/, named in site.yml's icons: (favicon, touch, app)
    icons: dict[str, str] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    reporting_periods: tuple[dict[str, Any], ...] = ()
    partners: tuple[dict[str, Any], ...] = ()
    # The zone event times are shown in (an IANA name, checked at load).
    timezone: str = "UTC"

    def region_name(self, slug: str) -> str:
        """A region's display name, or its slug when site.yml does not name it."""
        return self.regions.get(slug, slug.replace("-", " ").title())


def load_site(content_dir: Path, name_override: str | None = None) -> Site:
    """Read site.yml under content_dir; a missing file gives the defaults."""
    path = content_dir / "site.yml"
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigMissing(f"{path}: invalid YAML ({exc})") from None
        if not isinstance(loaded, dict):
            raise ConfigMissing(f"{path}: must be a mapping")
        data = loaded
    programme = data.get("programme") or {}
    funding = data.get("funding") or {}
    icons = data.get("icons") or {}
    sections = (("programme", programme), ("funding", funding), ("icons", icons))
    for section, name in sections:
        if not isinstance(name, dict):
            raise ConfigMissing(f"{path}: {section}: must be a mapping")
    _check_values(path, programme, funding, data.get("contact"))
    _check_icons(path, icons)
    default_language = str(data.get("default_language", "en"))
    languages = tuple(str(x) for x in data.get("languages") or [default_language])
    if default_language not in languages:
        languages = (default_language, *languages)
    timezone = data.get("timezone", "UTC")
    try:
        zones.zone(timezone)
    except ValueError as exc:
        raise ConfigMissing(f"{path}: timezone: {exc}") from None
    name = name_override or str(data.get("name", "comms"))
    # The name goes into every mail's Subject and From: one line, always.
    if not is_one_line(name):
        where = "COMMS_SITE_NAME" if name_override else f"{path}: name"
        raise ConfigMissing(f"{where}: {ONE_LINE_PROBLEM}")
    return Site(
        name=name,
        description=str(data.get("description", "")),
        default_language=default_language,
        languages=languages,
        programme_name=str(programme.get("name", "")),
        programme_url=str(programme.get("url", "")),
        funding_text=str(funding.get("text", "Co-funded by the European Union")),
        emblem=str(funding["emblem"]).strip() if funding.get("emblem") else None,
        emblem_alt=str(funding.get("emblem_alt", "Flag of the European Union")),
        funder=str(funding.get("funder", "")),
        grant=str(funding.get("grant", "")),
        contact=str(data.get("contact", "")),
        icons={k: str(v).strip() for k, v in icons.items() if v},
        regions={str(k): str(v) for k, v in (data.get("regions") or {}).items()},
        reporting_periods=tuple(data.get("reporting_periods") or ()),
        partners=tuple(data.get("partners") or ()),
        timezone=str(timezone).strip(),
    )


ICON_KINDS = {
    "favicon": (".ico", ".png", ".svg"),
    "touch": (".png",),
    "app": (".png",),
}


def _check_icons(path: Path, icons: dict[str, Any]) -> None:
    """Refuse an unknown icon kind, a file outside media/ or an unfit format."""
    for kind, value in icons.items():
        if kind not in ICON_KINDS:
            raise ConfigMissing(
                f"{path}: icons: unknown icon {kind!r}; use {', '.join(ICON_KINDS)}"
            )
        if not value:
            continue
        try:
            links.media_path(value if isinstance(value, str) else repr(value))
        except ValueError as exc:
            raise ConfigMissing(f"{path}: icons.{kind}: {exc}") from None
        if not str(value).lower().endswith(ICON_KINDS[kind]):
            raise ConfigMissing(
                f"{path}: icons.{kind}: must be a {' or '.join(ICON_KINDS[kind])} file"
            )


def _check_values(
    path: Path, programme: dict[str, Any], funding: dict[str, Any], contact: Any
) -> None:
    """Refuse a file reference leaving media/, a link or address that is not one.

    Checked when site.yml is read, so serve, import, export and the static export
    all refuse it the same way, before any file is read or written.
    """
    checks: list[tuple[str, Any, Any]] = [
        ("funding.emblem", funding.get("emblem"), links.media_path),
        ("programme.url", programme.get("url"), links.public_url),
        ("contact", contact, links.email_address),
    ]
    for key, value, check in checks:
        if value is None or value == "":
            continue
        try:
            check(value if isinstance(value, str) else repr(value))
        except ValueError as exc:
            raise ConfigMissing(f"{path}: {key}: {exc}") from None
