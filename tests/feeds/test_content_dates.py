"""Feed, sitemap and calendar dates are the content's own, never the import's."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import select

from comms.catalogue.models import Item
from tests.admin.helpers import log_in_as, make_user, post
from tests.admin.test_items import fields
from tests.conftest import CONTENT
from tests.feeds.helpers import ATOM, fetch, strict_xml

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
_DATE_LINE = re.compile(r"^(?:published_at|updated_at): *(\S+)$", re.MULTILINE)


def _instant(text: str) -> datetime:
    """An RFC 3339 or iCalendar UTC time as an aware datetime."""
    if re.fullmatch(r"\d{8}T\d{6}Z", text):
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _content_dates(root: Path) -> set[datetime]:
    """Every published_at and updated_at written in the content files."""
    return {
        _instant(value)
        for path in root.rglob("*.md")
        for value in _DATE_LINE.findall(path.read_text(encoding="utf-8"))
    }


def _dates_seen(client) -> dict[str, list[datetime]]:  # type: ignore[no-untyped-def]
    """Each "last changed" date a reader sees, by where it was read."""
    atom = strict_xml(fetch(client, "/feed.atom"))
    sitemap = strict_xml(fetch(client, "/sitemap.xml"))
    ics = fetch(client, "/events/calendar.ics").decode()
    return {
        "atom updated": [
            _instant(e.findtext(f"{ATOM}updated"))
            for e in atom.iterfind(f"{ATOM}entry")
        ],
        "json date_modified": [
            _instant(i["date_modified"])
            for i in json.loads(fetch(client, "/feed.json"))["items"]
        ],
        "sitemap lastmod": [
            _instant(t.text) for t in sitemap.iter(f"{SITEMAP}lastmod")
        ],
        "ical": [
            _instant(m)
            for m in re.findall(r"^(?:DTSTAMP|LAST-MODIFIED):(\S+)\r?$", ics, re.M)
        ],
    }


def _import_demo(runner, content_dir: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(CONTENT / "site.yml", content_dir / "site.yml")
    result = runner.invoke(args=["import", str(CONTENT)])
    assert result.exit_code == 0, result.output


def test_a_fresh_import_shows_the_contents_dates_not_the_import_time(
    client, runner, content_dir
) -> None:
    _import_demo(runner, content_dir)
    written = _content_dates(CONTENT)
    for where, dates in _dates_seen(client).items():
        assert dates, where
        strays = sorted({d for d in dates if d not in written})
        assert not strays, (where, strays)


def _write(root: Path, name: str, front: str) -> None:
    path = root / "press-releases" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: Results\n{front}---\nBody.\n", encoding="utf-8")


def test_front_matter_updated_at_is_the_date_every_reader_sees(
    client, runner, content_dir, tmp_path
) -> None:
    _write(
        content_dir,
        "results.en.md",
        "published_at: 2024-03-01T08:00:00Z\nupdated_at: 2024-04-02T10:30:00Z\n",
    )
    assert runner.invoke(args=["import", str(content_dir)]).exit_code == 0
    revised = datetime(2024, 4, 2, 10, 30, tzinfo=UTC)
    seen = _dates_seen(client)
    assert seen["atom updated"] == [revised]
    assert seen["json date_modified"] == [revised]
    assert seen["sitemap lastmod"] == [revised]
    out = tmp_path / "export"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    exported = (out / "press-releases" / "results.en.md").read_text()
    front = yaml.safe_load(exported.split("---\n")[1])
    assert front["updated_at"] == revised


def test_updated_at_before_publication_or_not_a_date_is_refused(
    runner, content_dir, session
) -> None:
    _write(
        content_dir,
        "early.en.md",
        "published_at: 2024-03-01T08:00:00Z\nupdated_at: 2024-02-01T08:00:00Z\n",
    )
    _write(
        content_dir,
        "garbled.en.md",
        "published_at: 2024-03-01T08:00:00Z\nupdated_at: next week\n",
    )
    result = runner.invoke(args=["import", str(content_dir)])
    assert result.exit_code != 0
    assert "updated_at: must come on or after published_at" in result.output
    assert "garbled.en.md" in result.output and "updated_at" in result.output
    assert session.scalars(select(Item)).all() == []


def test_an_admin_edit_moves_the_updated_date(
    app, client, runner, content_dir, session
) -> None:
    _write(content_dir, "results.en.md", "published_at: 2024-03-01T08:00:00Z\n")
    assert runner.invoke(args=["import", str(content_dir)]).exit_code == 0
    published = datetime(2024, 3, 1, 8, tzinfo=UTC)
    assert _dates_seen(client)["atom updated"] == [published]
    item = session.scalars(select(Item)).one()
    editor = app.test_client()
    log_in_as(editor, make_user(session, "editor@example.org", "editor"))
    form = fields(editor.get(f"/admin/items/{item.id}/").get_data(as_text=True))
    before = datetime.now(UTC).replace(microsecond=0)
    saved = post(editor, f"/admin/items/{item.id}/", {**form, "action": "save"})
    assert saved.status_code == 303
    seen = _dates_seen(client)
    for where in ("atom updated", "json date_modified", "sitemap lastmod"):
        assert seen[where][0] >= before, where
    atom = strict_xml(fetch(client, "/feed.atom"))
    entry = atom.find(f"{ATOM}entry")
    assert _instant(entry.findtext(f"{ATOM}published")) == published
