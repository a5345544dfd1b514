"""The site's identity from `content/site.yml`: name, languages, funding, regions.

The names a visitor reads in every language (the programme's, the regions', the
topics') are each a name or a mapping of names per language; what a language
lacks is shown in the default language.
"""

from __future__ import annotations

import re
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
    # the project's own logo, a file under media/ (logo), shown beside its name
    logo: str | None = None
    # the project's colours (colours.primary, colours.accent), as #rrggbb; None
    # keeps the site's stylesheet's own
    primary_colour: str | None = None
    accent_colour: str | None = None
    # the programme's name in the default language, and per language (programme.name)
    programme_name: str = ""
    programme_names: dict[str, str] = field(default_factory=dict)
    programme_url: str = ""
    # the programme's logo, a file under media/ (programme.logo)
    programme_logo: str | None = None
    funding_text: str = "Co-funded by the European Union"
    emblem: str | None = None
    # the emblem as mail shows it: a PNG, JPEG or GIF under media/
    # (funding.mail_emblem); Gmail and Outlook show no SVG image
    mail_emblem: str | None = None
    emblem_alt: str = "Flag of the European Union"
    funder: str = ""
    grant: str = ""
    # the EU's contribution and the project's budget (funding.eu_contribution,
    # funding.total_budget), amounts in ``currency``
    eu_contribution: float | None = None
    total_budget: float | None = None
    currency: str = "EUR"
    contact: str = ""
    # files under media/, named in site.yml's icons: (favicon, touch, app)
    icons: dict[str, str] = field(default_factory=dict)
    # slug -> name in the default language (what filters and forms show)
    regions: dict[str, str] = field(default_factory=dict)
    # slug -> {language: name}, for the regions site.yml names per language
    region_names: dict[str, dict[str, str]] = field(default_factory=dict)
    # tag -> {language: label}, for the topics site.yml names (topics)
    topic_names: dict[str, dict[str, str]] = field(default_factory=dict)
    reporting_periods: tuple[dict[str, Any], ...] = ()
    partners: tuple[dict[str, Any], ...] = ()
    # The zone event times are shown in (an IANA name, checked at load).
    timezone: str = "UTC"

    def identity_files(self) -> tuple[str, ...]:
        """The files under media/ that site.yml names: logos, emblems, icons."""
        named = (
            self.logo,
            self.emblem,
            self.mail_emblem,
            self.programme_logo,
            *self.icons.values(),
        )
        return tuple(f for f in named if f)

    def emblem_for_mail(self) -> str | None:
        """The emblem file mail carries: mail_emblem, else the emblem unless it is
        an SVG (which mail clients do not show), else None."""
        if self.mail_emblem:
            return self.mail_emblem
        if self.emblem and self.emblem.lower().endswith(MAIL_IMAGE_TYPES):
            return self.emblem
        return None

    def region_name(self, slug: str, language: str | None = None) -> str:
        """A region's name in ``language`` (else the default language's), or its
        slug prettified when site.yml does not name it."""
        named = self.region_names.get(slug, {})
        if language and language in named:
            return named[language]
        return self.regions.get(slug, slug.replace("-", " ").title())

    def topic_label(self, tag: str, language: str | None = None) -> str:
        """A topic's label in ``language`` (else the default language's), or its
        tag prettified when site.yml does not name it."""
        named = self.topic_names.get(tag, {})
        if language and language in named:
            return named[language]
        if self.default_language in named:
            return named[self.default_language]
        return tag.replace("-", " ").replace("_", " ").strip().capitalize() or tag

    def programme_name_in(self, language: str | None) -> str:
        """The programme's name in ``language``, else in the default language."""
        if language and language in self.programme_names:
            return self.programme_names[language]
        return self.programme_name


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
    _check_amounts(path, funding)
    _check_partners(path, data.get("partners"))
    _check_icons(path, icons)
    logo = _check_logo(path, content_dir, data.get("logo"))
    primary, accent = _check_colours(path, data.get("colours"))
    default_language = str(data.get("default_language", "en"))
    languages = tuple(str(x) for x in data.get("languages") or [default_language])
    if default_language not in languages:
        languages = (default_language, *languages)
    regions = _names(path, "regions", data.get("regions"), languages, default_language)
    topics = _names(path, "topics", data.get("topics"), languages, default_language)
    programme_names = _programme_names(
        path, programme.get("name"), languages, default_language
    )
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
        logo=logo,
        primary_colour=primary,
        accent_colour=accent,
        default_language=default_language,
        languages=languages,
        programme_name=programme_names.get(default_language, ""),
        programme_names=programme_names,
        programme_url=str(programme.get("url", "")),
        programme_logo=str(programme["logo"]).strip()
        if programme.get("logo")
        else None,
        funding_text=str(funding.get("text", "Co-funded by the European Union")),
        emblem=str(funding["emblem"]).strip() if funding.get("emblem") else None,
        mail_emblem=str(funding["mail_emblem"]).strip()
        if funding.get("mail_emblem")
        else None,
        emblem_alt=str(funding.get("emblem_alt", "Flag of the European Union")),
        funder=str(funding.get("funder", "")),
        grant=str(funding.get("grant", "")),
        eu_contribution=_amount(funding.get("eu_contribution")),
        total_budget=_amount(funding.get("total_budget")),
        currency=str(funding.get("currency", "EUR")),
        contact=str(data.get("contact", "")),
        icons={k: str(v).strip() for k, v in icons.items() if v},
        regions={slug: names[default_language] for slug, names in regions.items()},
        region_names=regions,
        topic_names=topics,
        reporting_periods=tuple(data.get("reporting_periods") or ()),
        partners=tuple(data.get("partners") or ()),
        timezone=str(timezone).strip(),
    )


def _names(
    path: Path,
    key: str,
    value: Any,
    languages: tuple[str, ...],
    default_language: str,
) -> dict[str, dict[str, str]]:
    """site.yml's regions or topics: slug -> a name, or a mapping per language."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigMissing(f"{path}: {key}: must be a mapping of slug to name")
    return {
        str(slug): _per_language(
            f"{path}: {key}.{slug}", names, languages, default_language
        )
        for slug, names in value.items()
    }


def _programme_names(
    path: Path, value: Any, languages: tuple[str, ...], default_language: str
) -> dict[str, str]:
    """programme.name: a name, or a mapping of names per language."""
    if value is None or value == "":
        return {}
    return _per_language(f"{path}: programme.name", value, languages, default_language)


def _per_language(
    where: str, names: Any, languages: tuple[str, ...], default_language: str
) -> dict[str, str]:
    """One thing's names: {language: name}.

    A plain name stands for every language; a mapping must name it in the default
    language and may only use the site's languages, each name on one line.
    """
    if isinstance(names, str | int | float) and not isinstance(names, bool):
        names = {default_language: str(names)}
    if not isinstance(names, dict) or not names:
        raise ConfigMissing(f"{where}: must be a name or a mapping {{en: name}}")
    for language, name in names.items():
        if language not in languages:
            raise ConfigMissing(
                f"{where}: {language!r} is not one of the site's languages"
            )
        if not isinstance(name, str) or not name.strip() or not is_one_line(name):
            raise ConfigMissing(f"{where}.{language}: must be a name on one line")
    if default_language not in names:
        raise ConfigMissing(f"{where}: must name it in {default_language!r}")
    return {str(k): v.strip() for k, v in names.items()}


ICON_KINDS = {
    "favicon": (".ico", ".png", ".svg"),
    # a scalable icon offered beside the favicon to browsers that take SVG
    "svg": (".svg",),
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
        ("funding.mail_emblem", funding.get("mail_emblem"), _mail_image_path),
        ("programme.logo", programme.get("logo"), _image_path),
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


LOGO_TYPES = (".svg", ".png")
# what mail clients show in an <img>: no SVG (Gmail, Outlook)
MAIL_IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".gif")


def _image_path(value: str) -> str:
    """A file under media/ that browsers show in an <img> (SVG or PNG)."""
    path = links.media_path(value)
    if not path.lower().endswith(LOGO_TYPES):
        raise ValueError(f"must be a {' or '.join(LOGO_TYPES)} file")
    return path


def _mail_image_path(value: str) -> str:
    """A file under media/ that mail clients show (PNG, JPEG or GIF)."""
    path = links.media_path(value)
    if not path.lower().endswith(MAIL_IMAGE_TYPES):
        raise ValueError(
            "must be a PNG, JPEG or GIF file: mail clients show no SVG image"
        )
    return path


def _amount(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


def _check_amounts(path: Path, funding: dict[str, Any]) -> None:
    """Refuse an amount that is not a number of at least 0, a currency not ISO 4217."""
    for key in ("eu_contribution", "total_budget"):
        value = funding.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigMissing(f"{path}: funding.{key}: must be a number, 0 or more")
    currency = funding.get("currency", "EUR")
    if not (isinstance(currency, str) and len(currency) == 3 and currency.isupper()):
        raise ConfigMissing(f"{path}: funding.currency: must be a code such as EUR")


def _check_partners(path: Path, partners: Any) -> None:
    """Refuse partners that are not a list of {name, city} mappings of text."""
    if partners is None:
        return
    if not isinstance(partners, list):
        raise ConfigMissing(f"{path}: partners: must be a list")
    for number, partner in enumerate(partners, 1):
        if not isinstance(partner, dict) or not isinstance(partner.get("name"), str):
            raise ConfigMissing(f"{path}: partners #{number}: must have a name")
        for key, value in partner.items():
            if key not in ("name", "city", "url") or not isinstance(value, str):
                raise ConfigMissing(
                    f"{path}: partners #{number}: {key}: use name, city and url (text)"
                )
            if key == "url":
                try:
                    links.public_url(value)
                except ValueError as exc:
                    raise ConfigMissing(
                        f"{path}: partners #{number}: url: {exc}"
                    ) from None


def _check_logo(path: Path, content_dir: Path, value: Any) -> str | None:
    """The project's logo: an SVG or PNG under media/ that exists, else None."""
    if value is None or value == "":
        return None
    try:
        logo = _image_path(value if isinstance(value, str) else repr(value)).strip()
    except ValueError as exc:
        raise ConfigMissing(f"{path}: logo: {exc}") from None
    if not (content_dir / logo).is_file():
        raise ConfigMissing(f"{path}: logo: no file {logo} in {content_dir}")
    return logo


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}")
# White text on the primary colour, and links in it on the pages' light tints,
# stay readable (WCAG 1.4.3 asks 4.5:1; the tints take a little off white's).
PRIMARY_MIN_CONTRAST = 5.0
# The accent marks the current page and draws focus rings on the primary colour
# (WCAG 1.4.11: 3:1 for what is not text).
ACCENT_MIN_CONTRAST = 3.0


def _check_colours(path: Path, value: Any) -> tuple[str | None, str | None]:
    """site.yml's colours {primary, accent} as #rrggbb, checked for contrast."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        raise ConfigMissing(f"{path}: colours: must be a mapping {{primary, accent}}")
    found: dict[str, str] = {}
    for key, colour in value.items():
        if key not in ("primary", "accent"):
            raise ConfigMissing(
                f"{path}: colours: unknown colour {key!r}; use primary and accent"
            )
        if not isinstance(colour, str) or not _HEX_COLOUR.fullmatch(colour.strip()):
            raise ConfigMissing(
                f"{path}: colours.{key}: {colour!r} is not a hex colour such as #0a5a6e"
            )
        found[key] = normal_hex(colour)
    primary, accent = found.get("primary"), found.get("accent")
    if primary and contrast(primary, "#ffffff") < PRIMARY_MIN_CONTRAST:
        raise ConfigMissing(
            f"{path}: colours.primary: {primary} is too light for white text "
            f"({contrast(primary, '#ffffff'):.1f}:1, needs {PRIMARY_MIN_CONTRAST:g}:1)"
        )
    if accent and contrast(accent, primary or DEFAULT_PRIMARY) < ACCENT_MIN_CONTRAST:
        raise ConfigMissing(
            f"{path}: colours.accent: {accent} does not stand out on "
            f"{primary or DEFAULT_PRIMARY} "
            f"({contrast(accent, primary or DEFAULT_PRIMARY):.1f}:1, "
            f"needs {ACCENT_MIN_CONTRAST:g}:1)"
        )
    return primary, accent


# The stylesheet's own header colour, which an accent alone must stand out on.
DEFAULT_PRIMARY = "#003399"


def normal_hex(colour: str) -> str:
    """``#abc`` or ``#AABBCC`` as ``#aabbcc``."""
    digits = colour.strip().lstrip("#").lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def luminance(colour: str) -> float:
    """The relative luminance of a #rrggbb colour (WCAG 2.x)."""
    digits = normal_hex(colour).lstrip("#")
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
