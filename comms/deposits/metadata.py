"""A report as an InvenioRDM record: the metadata a deposit sends (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from comms.catalogue.models import Item
from comms.citations import authors_of
from comms.site import Site

RESOURCE_TYPE = "publication-report"
DEFAULT_LICENCE = "cc-by-4.0"
# ISO 639-3 ids of the languages-vocabulary InvenioRDM uses for `languages`.
ISO_639_3 = {
    "bg": "bul", "cs": "ces", "da": "dan", "de": "deu", "el": "ell", "en": "eng",
    "es": "spa", "et": "est", "fi": "fin", "fr": "fra", "ga": "gle", "hr": "hrv",
    "hu": "hun", "it": "ita", "lt": "lit", "lv": "lav", "mt": "mlt", "nl": "nld",
    "pl": "pol", "pt": "por", "ro": "ron", "rm": "roh", "sk": "slk", "sl": "slv",
    "sv": "swe",
}  # fmt: skip


@dataclass(frozen=True)
class DepositFile:
    """One PDF of the report as it goes to the repository."""

    key: str
    sha256: str
    size: int


def creator(name: str) -> dict[str, Any]:
    """A creator: `Family, Given` is a person, any other name an organisation.

    Report authors are mostly partner organisations; only the comma form says for
    sure where a person's family name ends, which InvenioRDM requires.
    """
    family, comma, given = name.partition(",")
    if comma and family.strip() and given.strip():
        return {
            "person_or_org": {
                "type": "personal",
                "family_name": family.strip(),
                "given_name": given.strip(),
            }
        }
    return {"person_or_org": {"type": "organizational", "name": name}}


def licence_id(licence: str | None) -> str:
    """The rights vocabulary id of a licence (`CC-BY-4.0` -> `cc-by-4.0`)."""
    return (licence or "").strip().lower() or DEFAULT_LICENCE


def funding(site: Site) -> list[dict[str, Any]]:
    """The funder and grant of site.yml as an InvenioRDM funding entry."""
    if not site.funder and not site.grant:
        return []
    funder: dict[str, Any] = {"name": site.funder or site.funding_text}
    entry: dict[str, Any] = {"funder": funder}
    if site.grant:
        entry["award"] = {"number": site.grant, "title": {"en": site.name}}
    return [entry]


def build_record(item: Item, site: Site, *, page_url: str) -> dict[str, Any]:
    """The draft body (access, files, metadata) of a report's record."""
    if item.published_at is None:
        raise ValueError("an unpublished report has no publication date")
    metadata: dict[str, Any] = {
        "resource_type": {"id": RESOURCE_TYPE},
        "title": item.display_title,
        "creators": [creator(name) for name in authors_of(item, site)],
        "publication_date": item.published_at.date().isoformat(),
        "publisher": site.name,
        "rights": [{"id": licence_id(item.licence)}],
        "identifiers": [{"identifier": page_url, "scheme": "url"}],
    }
    summary = item.display_summary.strip()
    if summary:
        metadata["description"] = f"<p>{escape(summary)}</p>"
    if item.tag_names:
        metadata["subjects"] = [{"subject": tag} for tag in item.tag_names]
    language = ISO_639_3.get(item.language.split("-")[0].lower())
    if language:
        metadata["languages"] = [{"id": language}]
    money = funding(site)
    if money:
        metadata["funding"] = money
    if item.deliverable:
        metadata["additional_descriptions"] = [
            {
                "description": f"Deliverable {escape(item.deliverable)}"
                + (
                    f", work package {escape(item.work_package)}"
                    if item.work_package
                    else ""
                ),
                "type": {"id": "other"},
            }
        ]
    return {
        "access": {"record": "public", "files": "public"},
        "files": {"enabled": True},
        "metadata": metadata,
    }
