"""A KPI report as a text table, CSV (one long table) or JSON: pure formatting."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from comms.csv_cells import neutralise
from comms.kpi.indicators import KpiReport

CSV_COLUMNS = (
    "section",
    "indicator",
    "label",
    "value",
    "deliverable",
    "work_package",
    "kind",
    "slug",
    "language",
    "title",
    "published_at",
    "url",
    "views",
    "downloads",
    # The register's lines (section "register"): one per deliverable.
    "due",
    "state",
    "outputs",
    "video_views",
)


def as_table(report: KpiReport) -> str:
    """Aligned plain text: the period, the indicators, then the deliverables."""
    lines = [f"Period: {report.period.label}", ""]
    width = max(len(i.label) for i in report.indicators)
    for indicator in report.indicators:
        lines.append(f"{indicator.label:<{width}}  {indicator.value:>10,}")
    if report.deliverables:
        lines += ["", "Deliverables:"]
        for d in report.deliverables:
            lines.append(
                f"{d.deliverable:<12} {d.work_package:<6} {d.kind:<14} "
                f"{d.published_at.date().isoformat()}  {d.title}  "
                f"(views {d.views}, downloads {d.downloads})"
            )
    if report.register:
        lines += ["", "Register (public outputs, views, downloads, video views):"]
        for r in report.register:
            lines.append(
                f"{r.code:<12} {r.work_package:<6} due {r.due.isoformat()} "
                f"{r.state:<9} {r.public_outputs:>3}  {r.title}  (views {r.views}, "
                f"downloads {r.downloads}, video views {r.video_views})"
            )
    return "\n".join(lines) + "\n"


def as_rows(report: KpiReport, site_url: str) -> list[dict[str, str]]:
    """The CSV rows: period, indicators, each deliverable output, the register."""
    blank = dict.fromkeys(CSV_COLUMNS, "")
    period = report.period
    rows = [
        {**blank, "section": "period", "indicator": key, "label": label, "value": val}
        for key, label, val in (
            ("name", "Reporting period", period.name),
            ("from", "First day (UTC)", period.start.isoformat()),
            ("to", "Last day (UTC)", period.end.isoformat()),
        )
    ]
    rows += [
        {
            **blank,
            "section": "indicator",
            "indicator": i.key,
            "label": i.label,
            "value": str(i.value),
        }
        for i in report.indicators
    ]
    rows += [
        {
            **blank,
            "section": "deliverable",
            "indicator": "output",
            "label": "Output of a deliverable",
            "deliverable": d.deliverable,
            "work_package": d.work_package,
            "kind": d.kind,
            "slug": d.slug,
            "language": d.language,
            "title": d.title,
            "published_at": d.published_at.isoformat(),
            "url": site_url + d.path,
            "views": str(d.views),
            "downloads": str(d.downloads),
        }
        for d in report.deliverables
    ]
    rows += [
        {
            **blank,
            "section": "register",
            "indicator": "deliverable",
            "label": "Deliverable: public outputs by the end of the period",
            "value": str(r.public_outputs),
            "deliverable": r.code,
            "work_package": r.work_package,
            "title": r.title,
            "views": str(r.views),
            "downloads": str(r.downloads),
            "due": r.due.isoformat(),
            "state": r.state,
            "outputs": str(r.outputs),
            "video_views": str(r.video_views),
        }
        for r in report.register
    ]
    return rows


def as_csv(report: KpiReport, site_url: str) -> str:
    """The report as one CSV table with the columns of ``CSV_COLUMNS``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    # Titles and codes are officers' text: a spreadsheet must not run them.
    writer.writerows(
        {k: neutralise(v) if isinstance(v, str) else v for k, v in row.items()}
        for row in as_rows(report, site_url)
    )
    return out.getvalue()


def as_data(report: KpiReport, site_url: str) -> dict[str, Any]:
    """The report as plain data (the JSON export)."""
    period = report.period
    return {
        "period": {
            "name": period.name,
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
        },
        "indicators": {i.key: i.value for i in report.indicators},
        "labels": {i.key: i.label for i in report.indicators},
        "deliverables": [
            {
                "deliverable": d.deliverable,
                "work_package": d.work_package,
                "kind": d.kind,
                "slug": d.slug,
                "language": d.language,
                "title": d.title,
                "published_at": d.published_at.isoformat(),
                "url": site_url + d.path,
                "views": d.views,
                "downloads": d.downloads,
            }
            for d in report.deliverables
        ],
        "register": [
            {
                "deliverable": r.code,
                "work_package": r.work_package,
                "title": r.title,
                "due": r.due.isoformat(),
                "state": r.state,
                "outputs": r.outputs,
                "public_outputs": r.public_outputs,
                "views": r.views,
                "downloads": r.downloads,
                "video_views": r.video_views,
            }
            for r in report.register
        ],
        "top_items": [
            {"title": t.title, "url": site_url + t.path, "views": t.views}
            for t in report.top_items
        ],
    }


def as_json(report: KpiReport, site_url: str) -> str:
    """The report as a JSON document."""
    return json.dumps(as_data(report, site_url), indent=2, ensure_ascii=False) + "\n"
