"""`comms subscribers import|export|show|erase`: CSV in and out, one person's data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from comms.newsletter.models import Consent, Delivery, Subscriber
from tests.newsletter.helpers import make_issue, make_subscribers

GOOD = (
    "email,language,confirmed_at,source\n"
    "old@example.net,de,2018-03-01T10:00:00Z,fair 2018\n"
    "new@example.net,en,,website\n"
)


def _count(session, model=Subscriber) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_import_opts_in_rows_with_confirmed_at_and_sends_no_mail(
    runner, session, smtp, tmp_path
):
    path = tmp_path / "subs.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["subscribers", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 added (1 already opted in)" in result.output
    rows = {s.email: s for s in session.scalars(select(Subscriber))}
    assert rows["old@example.net"].status == "confirmed"
    assert rows["old@example.net"].language == "de"
    assert (
        rows["old@example.net"].confirmed_at.isoformat() == "2018-03-01T10:00:00+00:00"
    )
    assert rows["new@example.net"].status == "pending"
    assert [c.method for c in rows["old@example.net"].consents] == ["csv import"]
    assert "fair 2018" in rows["old@example.net"].consents[0].detail
    assert smtp.recorder.count() == 0


def test_import_with_send_opt_in_mails_only_the_unconfirmed(
    runner, session, smtp, tmp_path
):
    path = tmp_path / "subs.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["subscribers", "import", str(path), "--send-opt-in"])
    assert result.exit_code == 0, result.output
    assert "1 confirmation mails sent" in result.output
    [mail] = smtp.recorder.messages
    assert mail.rcpt_tos == ["new@example.net"]
    assert "/newsletter/confirm/" in mail.message.get_body(("plain",)).get_content()


def test_import_with_a_bad_row_names_it_and_stores_nothing(runner, session, tmp_path):
    path = tmp_path / "subs.csv"
    path.write_text(
        GOOD + "broken,en,,x\nok@example.net,xx,,x\nz@example.net,en,yesterday,x\n"
    )
    result = runner.invoke(args=["subscribers", "import", str(path)])
    assert result.exit_code != 0
    assert "line 4: 'broken' is not a valid e-mail address" in result.output
    assert "line 5: language 'xx' is not offered" in result.output
    assert "line 6: confirmed_at 'yesterday'" in result.output
    assert "3 bad rows: nothing imported" in result.output
    assert _count(session) == 0


def test_import_never_resubscribes_someone_who_left(runner, session, tmp_path):
    [email] = make_subscribers(session, 1, prefix="old")
    subscriber = session.scalars(select(Subscriber)).one()
    subscriber.status = "unsubscribed"
    session.commit()
    path = tmp_path / "subs.csv"
    path.write_text(f"email,confirmed_at\n{email},2020-01-01T00:00:00Z\n")
    result = runner.invoke(args=["subscribers", "import", str(path)])
    assert "1 known addresses left unchanged" in result.output
    session.refresh(subscriber)
    assert subscriber.status == "unsubscribed"


def test_import_with_send_opt_in_and_no_smtp_changes_nothing(
    app, runner, session, tmp_path, monkeypatch
):
    from dataclasses import replace

    state = app.extensions["comms"]
    monkeypatch.setattr(state, "settings", replace(state.settings, smtp_url=None))
    path = tmp_path / "subs.csv"
    path.write_text(GOOD)
    result = runner.invoke(args=["subscribers", "import", str(path), "--send-opt-in"])
    assert result.exit_code != 0
    assert "COMMS_SMTP_URL" in result.output
    assert _count(session) == 0


def test_export_then_import_elsewhere_round_trips(runner, session, tmp_path):
    path = tmp_path / "subs.csv"
    path.write_text(GOOD)
    runner.invoke(args=["subscribers", "import", str(path)])
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["subscribers", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 2 subscribers" in result.output
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [tuple(r.values()) for r in rows] == [
        ("old@example.net", "de", "2018-03-01T10:00:00Z", "fair 2018"),
        ("new@example.net", "en", "", "website"),
    ]


def test_show_prints_one_persons_data_and_erase_removes_it(runner, session, smtp):
    make_issue(session)
    [email, other] = make_subscribers(session, 2)
    assert runner.invoke(args=["newsletter", "send", "issue-1"]).exit_code == 0
    shown = runner.invoke(args=["subscribers", "show", email.upper()])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["email"] == email and data["status"] == "confirmed"
    assert data["deliveries"][0]["issue"] == "issue-1"
    assert data["deliveries"][0]["status"] == "sent"
    erased = runner.invoke(args=["subscribers", "erase", email, "--yes"])
    assert erased.exit_code == 0, erased.output
    assert [s.email for s in session.scalars(select(Subscriber))] == [other]
    assert _count(session, Delivery) == 1
    assert _count(session, Consent) == 0
    missing = runner.invoke(args=["subscribers", "show", email])
    assert missing.exit_code != 0
    assert "no subscriber with that address" in missing.output


HOSTILE = [
    ("=1+2@example.net", '=HYPERLINK("https://evil.example","x")'),
    ("+1@example.net", "+SUM(A1:A9)"),
    ("-2@example.net", "-1+1"),
    ("'q@example.net", "@SUM(1)"),
    ("plain@example.net", "\tfair"),
    ("cr@example.net", "\rfair"),
    ("quote@example.net", "'=already quoted"),
]


def test_export_neutralises_formula_cells_and_imports_back_unchanged(
    runner, session, tmp_path
):
    session.add_all(
        Subscriber(email=email, language="en", topics=[], regions=[],
                   status="confirmed", source=source)
        for email, source in HOSTILE
    )  # fmt: skip
    session.commit()
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["subscribers", "export", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert rows[0][0] == "'=1+2@example.net"
    assert rows[0][3] == '\'=HYPERLINK("https://evil.example","x")'
    assert rows[3][0] == "''q@example.net"
    assert rows[5] == ["cr@example.net", "en", "", "'\rfair"]
    assert rows[6][3] == "''=already quoted"

    session.execute(delete(Subscriber))
    session.commit()
    result = runner.invoke(args=["subscribers", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "7 added (0 already opted in)" in result.output
    session.expire_all()
    stored = {(s.email, s.source) for s in session.scalars(select(Subscriber))}
    # the import trims a source's spaces, as it always did
    assert stored == {(email, source.strip()) for email, source in HOSTILE}


# SQLite's own files: PostgreSQL's belong to the server.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_erase_leaves_the_address_in_neither_the_sqlite_file_nor_its_wal(
    app, runner, session, smtp, settings
):
    make_issue(session)
    address = "erase-me.unique@example.net"
    make_subscribers(session, 3, prefix="keep")
    session.add(
        Subscriber(email=address, language="en", topics=[], regions=[],
                   status="confirmed", source="web form")
    )  # fmt: skip
    session.commit()
    assert runner.invoke(args=["newsletter", "send", "issue-1"]).exit_code == 0
    session.close()
    engine = app.extensions["comms"].engine
    with engine.connect() as conn:  # some copies in the file, some in the WAL
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    session.execute(
        update(Subscriber).where(Subscriber.email == address).values(bounce_count=1)
    )
    session.commit()
    session.close()
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal")]
    assert any(address.encode() in f.read_bytes() for f in files)

    erased = runner.invoke(args=["subscribers", "erase", address, "--yes"])
    assert erased.exit_code == 0, erased.output
    for path in files:
        assert address.encode() not in path.read_bytes(), path.name
    assert _count(session) == 3
