"""Migration 0024 moves the reports' deliverable codes into the register."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from comms.db import alembic_config, make_engine


def test_report_codes_become_register_rows_and_links(database_url):
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.upgrade(config, "0019")
    insert = text(
        "INSERT INTO item (uid, kind, slug, language, translation, title, summary,"
        " body, body_html, status, published_at, created_at, updated_at, demo,"
        " version, details, deliverable, work_package, hidden) VALUES (:uid,"
        " 'report', :slug, 'en', :slug, :title, '', '', '', 'published', :at, :at,"
        " :at, false, 1, '{}', :code, :wp, false)"
    )
    with engine.begin() as conn:
        for n, (code, wp) in enumerate(
            [
                ("D.T1.2.1", "T1"),
                ("D.T1.2.1", "T1"),
                ("not a code", "T1"),
                ("D3.1", None),
                ("D2.1", "WP2"),
            ]  # fmt: skip
        ):
            conn.execute(insert, {
                "uid": f"u{n}", "slug": f"r{n}", "title": f"Report {n}",
                "at": f"2018-0{n + 1}-15 09:00:00", "code": code, "wp": wp,
            })  # fmt: skip
    command.upgrade(config, "0024")
    with engine.connect() as conn:
        register = conn.execute(
            text(
                "SELECT d.code, d.title, w.code, d.due FROM deliverable d"
                " JOIN work_package w ON w.id = d.work_package_id ORDER BY d.code"
            )
        ).all()
        links = conn.execute(
            text(
                "SELECT i.slug, d.code FROM item_deliverable l"
                " JOIN item i ON i.id = l.item_id"
                " JOIN deliverable d ON d.id = l.deliverable_id ORDER BY i.slug"
            )
        ).all()
    engine.dispose()
    assert [(c, t, w, str(d)) for c, t, w, d in register] == [
        ("D.T1.2.1", "Report 0", "T1", "2018-01-15"),
        ("D2.1", "Report 4", "WP2", "2018-05-15"),
    ]
    assert [tuple(row) for row in links] == [
        ("r0", "D.T1.2.1"), ("r1", "D.T1.2.1"), ("r4", "D2.1"),
    ]  # fmt: skip
