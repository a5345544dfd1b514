"""Import and export of content files: validation, idempotence, round trip."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from sqlalchemy import func, select

from comms.catalogue.content_files import export_tree, import_tree
from comms.catalogue.models import Item, Newsletter, ReportFile
from comms.errors import ValidationFailed
from tests.conftest import CONTENT
from tests.factories import make_pdf, write_content

GOOD = """---
title: First results
summary: What the first period achieved.
published_at: 2018-05-15T09:00:00Z
tags: [clusters, smart-specialisation]
regions: [lombardia]
---
The **first period** of the project.
"""


def _dir_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_import_stores_items_with_tags_regions_and_rendered_body(
    session, store, content_dir
):
    write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    report = import_tree(session, store, content_dir)
    session.commit()
    assert (report.created, report.updated, report.unchanged) == (1, 0, 0)
    item = session.scalars(select(Item)).one()
    assert (item.kind, item.slug, item.language, item.translation) == (
        "press_release",
        "first-results",
        "en",
        "first-results",
    )
    assert item.tag_names == ["clusters", "smart-specialisation"]
    assert item.region_names == ["lombardia"]
    assert "<strong>first period</strong>" in item.body_html
    assert item.published_at is not None and item.published_at.tzinfo is not None


def test_second_import_changes_nothing(session, store, content_dir):
    write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    import_tree(session, store, content_dir)
    session.commit()
    before = session.scalars(select(Item)).one()
    stamp, version = before.updated_at, before.version
    report = import_tree(session, store, content_dir)
    session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    session.expire_all()
    after = session.scalars(select(Item)).one()
    assert (after.updated_at, after.version) == (stamp, version)


def test_changed_file_updates_the_item(session, store, content_dir):
    path = write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    import_tree(session, store, content_dir)
    session.commit()
    path.write_text(GOOD.replace("title: First results", "title: Early results"))
    report = import_tree(session, store, content_dir)
    session.commit()
    assert report.updated == 1
    session.expire_all()
    assert session.scalars(select(Item.title)).one() == "Early results"


BAD_FILES = [
    ("press-releases/broken.en.md", "---\ntitle: [unclosed\n---\nx\n", "invalid YAML"),
    ("press-releases/no-matter.en.md", "just text\n", "no front matter"),
    ("podcasts/episode.en.md", GOOD, "unknown kind 'podcasts'"),
    (
        "press-releases/untitled.en.md",
        "---\npublished_at: 2018-05-15T09:00:00Z\n---\nx\n",
        "title is required",
    ),
    (
        "press-releases/bad-date.en.md",
        "---\ntitle: T\npublished_at: 15 May 2018\n---\nx\n",
        "published_at: not a date and time",
    ),
    (
        "press-releases/undated.en.md",
        "---\ntitle: T\nstatus: published\n---\nx\n",
        "published_at is required",
    ),
    (
        "press-releases/extra.en.md",
        "---\ntitle: T\npublished_at: 2018-05-15T09:00:00Z\ncolour: red\n---\nx\n",
        "unknown front matter key 'colour'",
    ),
    (
        "press-releases/status.en.md",
        "---\ntitle: T\nstatus: live\npublished_at: 2018-05-15T09:00:00Z\n---\n",
        "status: must be one of",
    ),
    ("press-releases/Bad_Name.en.md", GOOD, "file name must be <slug>.<lang>.md"),
    (
        "press-releases/other-version.en.md",
        GOOD.replace("tags:", "translation: first-results\ntags:"),
        "duplicate",
    ),
    (
        "reports/missing-pdf.en.md",
        "---\ntitle: R\npublished_at: 2018-05-15T09:00:00Z\n"
        "files: [{path: ../media/nope.pdf}]\n---\n",
        "does not exist",
    ),
    (
        "reports/fake-pdf.en.md",
        "---\ntitle: R\npublished_at: 2018-05-15T09:00:00Z\n"
        "files: [{path: ../media/fake.pdf}]\n---\n",
        "not a PDF",
    ),
    (
        "reports/outside.en.md",
        "---\ntitle: R\npublished_at: 2018-05-15T09:00:00Z\n"
        "files: [{path: ../../secret.pdf}]\n---\n",
        "outside the content folder",
    ),
    (
        "videos/bad-id.en.md",
        "---\ntitle: V\npublished_at: 2018-05-15T09:00:00Z\nyoutube_id: 'a b'\n---\n",
        "youtube_id: must be 11 characters",
    ),
    (
        "press-releases/region.en.md",
        "---\ntitle: T\npublished_at: 2018-05-15T09:00:00Z\nregions: [atlantis]\n---\n",
        "not a region of site.yml",
    ),
    (
        "newsletters/issue-1.en.md",
        "---\ntitle: N\npublished_at: 2018-05-15T09:00:00Z\n"
        "items: [{kind: report, slug: nowhere}]\n---\n",
        "no report 'nowhere'",
    ),
]


@pytest.mark.parametrize(("relative", "text", "reason"), BAD_FILES)
def test_bad_file_is_named_with_reason_and_nothing_is_stored(
    session, store, content_dir, relative, text, reason
):
    write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    (content_dir / "media").mkdir(exist_ok=True)
    (content_dir / "media" / "fake.pdf").write_bytes(b"MZ\x90\x00 not a pdf")
    (content_dir.parent / "secret.pdf").write_bytes(make_pdf())
    bad = write_content(content_dir, relative, text)
    with pytest.raises(ValidationFailed) as caught:
        import_tree(session, store, content_dir)
    assert any(
        p.startswith(f"{bad}: ") and reason in p for p in caught.value.problems
    ), caught.value.problems
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_keep_going_stores_the_good_files_and_lists_the_bad(
    session, store, content_dir
):
    write_content(content_dir, "press-releases/first-results.en.md", GOOD)
    bad = write_content(content_dir, "press-releases/broken.en.md", "---\n: [\n---\n")
    report = import_tree(session, store, content_dir, keep_going=True)
    session.commit()
    assert report.created == 1
    assert [p.split(": ")[0] for p in report.problems] == [str(bad)]
    assert session.scalars(select(Item.slug)).all() == ["first-results"]


def test_report_file_stored_by_content_hash_with_size_and_pages(
    session, store, content_dir
):
    pdf = make_pdf("Lombardia", pages=2)
    (content_dir / "media").mkdir()
    (content_dir / "media" / "lombardia.pdf").write_bytes(pdf)
    write_content(
        content_dir,
        "reports/stresstest-lombardia.en.md",
        "---\ntitle: StressTest\npublished_at: 2018-05-15T09:00:00Z\n"
        "files: [{path: ../media/lombardia.pdf, language: en}]\n---\n",
    )
    import_tree(session, store, content_dir)
    session.commit()
    stored = session.scalars(select(ReportFile)).one()
    assert (stored.filename, stored.size, stored.page_count, stored.language) == (
        "lombardia.pdf",
        len(pdf),
        2,
        "en",
    )
    assert store.read(stored.sha256) == pdf
    assert "Lombardia page 2" in stored.text
    item = session.scalars(select(Item)).one()
    assert item.licence == "CC-BY-4.0"


def test_demo_content_round_trips_byte_for_byte(session, store, tmp_path):
    report = import_tree(session, store, CONTENT)
    session.commit()
    assert report.problems == []
    assert report.created >= 20
    first, second = tmp_path / "export-1", tmp_path / "export-2"
    export_tree(session, store, first)
    again = import_tree(session, store, first)
    session.commit()
    assert (again.created, again.updated) == (0, 0)
    export_tree(session, store, second)
    assert _dir_files(first) == _dir_files(second)
    assert not filecmp.dircmp(first, second).diff_files


def test_export_holds_no_bookkeeping(session, store, tmp_path):
    import_tree(session, store, CONTENT)
    session.commit()
    out = tmp_path / "export"
    export_tree(session, store, out)
    text = "\n".join(p.read_text() for p in out.rglob("*.md"))
    for word in ("created_at", "updated_at", "download_count", "version:", "uid:"):
        assert word not in text


def test_demo_content_has_the_seeded_outputs(session, store):
    import_tree(session, store, CONTENT)
    session.commit()
    reports = session.scalars(
        select(Item).where(
            Item.kind == "report", Item.report_type == "StressTest report"
        )
    ).all()
    assert len(reports) == 11
    assert all(r.files and r.files[0].page_count for r in reports)
    languages = session.scalars(
        select(Item.language).where(
            Item.kind == "press_release", Item.translation == "first-results"
        )
    ).all()
    assert "en" in languages and len(languages) >= 2
    assert session.scalar(select(func.count()).select_from(Newsletter)) >= 1
    kinds = set(session.scalars(select(Item.kind)))
    assert kinds == {"press_release", "report", "video", "event"}
