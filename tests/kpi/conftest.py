"""KPI fixtures: a site with reporting periods."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def content_dir(content_dir: Path) -> Path:
    """The test site, with three six-month reporting periods."""
    site = content_dir / "site.yml"
    site.write_text(
        site.read_text()
        + "reporting_periods:\n"
        + "  - {name: Period 3, start: 2017-11-01, end: 2018-04-30}\n"
        + "  - {name: Period 4, start: 2018-05-01, end: 2018-10-31}\n"
        + "  - {name: Period 5, start: 2018-11-01, end: 2019-04-30}\n"
    )
    return content_dir
