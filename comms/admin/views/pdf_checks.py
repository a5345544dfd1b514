"""A PDF's accessibility in the admin: the badge's findings, the upload warning."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash

from comms.admin.views.blueprint import bp
from comms.catalogue.models import Item, ReportFile
from comms.pdf_access import ADVICE, FINDINGS, WHY, finding_keys
from comms.storage import sha256_of


@dataclass(frozen=True)
class PdfFinding:
    """One thing a PDF lacks, why it matters and how to fix it (for the badge)."""

    key: str
    finding: str
    advice: str


@bp.app_template_global()
def pdf_check(
    title: str | None, language: str | None, tagged: bool | None
) -> list[PdfFinding]:
    """What a PDF with this title, language and tagging lacks ([] when checked fine).

    Not yet checked (``tagged`` None) is not a finding: `comms check` reads those.
    """
    if tagged is None:
        return []
    return [
        PdfFinding(key, FINDINGS[key], ADVICE[key])
        for key in finding_keys(title, language, tagged)
    ]


def pdf_warning(name: str, title: str | None, keys: tuple[str, ...]) -> str | None:
    """The warning shown after a PDF upload that lacks a title, language or tags."""
    if not keys:
        return None
    what = "; ".join(
        FINDINGS[k] + (f" ({title!r})" if k == "placeholder_title" else "")
        for k in keys
    )
    fixes = " ".join(ADVICE[k] for k in keys)
    return (
        f"Accessibility warning: {name} was kept, but it has {what}. {WHY} "
        f"How to fix it: {fixes} Then upload the fixed PDF with Replace in the "
        "media library."
    )


def warn_about_pdf(item: Item, data: bytes | None) -> None:
    """Flash the accessibility warning of a PDF just uploaded to ``item``, if any."""
    if data is None:
        return
    digest = sha256_of(data)
    row: ReportFile | None = next(
        (f for f in reversed(item.files) if f.sha256 == digest), None
    )
    if row is None:
        return
    keys = finding_keys(row.pdf_title, row.pdf_language, row.pdf_tagged)
    message = pdf_warning(row.filename, row.pdf_title, keys)
    if message:
        flash(message, "warning")
