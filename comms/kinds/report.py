"""Reports: publications with their PDF files, deliverable code and licence."""

from __future__ import annotations

from typing import Any

from comms.kinds import values
from comms.kinds.registry import Field, Kind
from comms.messages import N_

DEFAULT_LICENCE = "CC-BY-4.0"
NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
FILE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["filename", "url", "media_type", "size", "sha256"],
    "properties": {
        "filename": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "media_type": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "page_count": {"type": ["integer", "null"], "minimum": 0},
        "language": NULLABLE_STRING,
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    },
}


def files_data(item: Any, site_url: str) -> dict[str, Any]:
    """The report's files as the API lists them."""
    return {
        "files": [
            {
                "filename": f.filename,
                "url": f"{site_url}/reports/{item.slug}/files/{f.filename}",
                "media_type": f.media_type,
                "size": f.size,
                "page_count": f.page_count,
                "language": f.language,
                "sha256": f.sha256,
            }
            for f in item.files
        ]
    }


KIND = Kind(
    name="report",
    plural="reports",
    label=N_("Report"),
    plural_label=N_("Reports"),
    in_sentence=N_("reports"),
    archived_notice=N_(
        "This report is archived: it is kept for reference and may be out of date."
    ),
    has_files=True,
    schema_type="Report",
    fields=(
        Field(
            "report_type",
            values.text,
            "column",
            "Report type",
            limit=100,
            hint="e.g. StressTest report, policy report, deliverable",
            schema=NULLABLE_STRING,
        ),
        Field(
            "deliverable",
            values.text,
            "column",
            "Deliverable code",
            limit=50,
            schema=NULLABLE_STRING,
        ),
        Field(
            "work_package",
            values.text,
            "column",
            "Work package",
            limit=50,
            schema=NULLABLE_STRING,
        ),
        Field(
            "authors",
            values.texts,
            "details",
            "Authors",
            widget="lines",
            hint="One a line",
            schema={"type": "array", "items": {"type": "string"}},
        ),
        Field(
            "licence",
            values.text,
            "column",
            "Licence",
            limit=50,
            hint="Default CC-BY-4.0",
            default=DEFAULT_LICENCE,
            schema=NULLABLE_STRING,
        ),
        Field("doi", values.text, "column", "DOI", limit=200, schema=NULLABLE_STRING),
        # Read, stored and written by the catalogue (content-addressed PDFs).
        Field("files", values.mapping_list("path", "language"), "own", widget=None),
    ),  # fmt: skip
    api_extra=files_data,
    api_extra_schema={"files": {"type": "array", "items": FILE_SCHEMA}},
)
