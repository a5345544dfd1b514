"""/admin/subscribers/: list, counts, CSV export and import with preview, erase."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import func, select

from comms.admin.models import AuditEntry
from comms.config import Settings
from comms.newsletter.models import Consent, Delivery, Subscriber
from tests.admin.helpers import post
from tests.newsletter.helpers import make_issue
from tests.newsletter.smtp import SmtpServer

PAGES = [
    "/admin/subscribers/",
    "/admin/subscribers/export.csv",
    "/admin/subscribers/import",
]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return replace(
        settings,
        smtp_url=smtp.url,
        mail_from="Test Project <news@example.org>",
        mail_rate=1000.0,
        site_url="https://news.example.org",
    )


def _add(session, email, *, status="confirmed", language="en", source="form", **kw):
    subscriber = Subscriber(
        email=email,
        language=language,
        topics=kw.pop("topics", []),
        regions=kw.pop("regions", []),
        status=status,
        source=source,
        confirmed_at=datetime.now(UTC) if status == "confirmed" else None,
        **kw,
    )
    session.add(subscriber)
    session.commit()
    return subscriber


def _count(session, model) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("url", PAGES)
def test_subscriber_pages_are_for_admins_only(editor_client, admin_client, url):
    assert editor_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_editor_cannot_see_erase_or_import(editor_client, session):
    person = _add(session, "someone@example.net")
    assert editor_client.get(f"/admin/subscribers/{person.id}/").status_code == 403
    erase = post(editor_client, f"/admin/subscribers/{person.id}/erase",
                 {"confirm_email": person.email})  # fmt: skip
    assert erase.status_code == 403
    assert _count(session, Subscriber) == 1


def test_list_searches_filters_and_counts_by_status_and_language(admin_client, session):
    _add(session, "anna@alpine.example", language="de")
    _add(session, "bruno@alpine.example", language="it", status="pending")
    _add(session, "carla@other.example", language="it")
    _add(session, "dora@other.example", status="unsubscribed")
    html = _text(admin_client.get("/admin/subscribers/"))
    assert '<dd data-status="confirmed">2</dd>' in html
    assert '<dd data-status="pending">1</dd>' in html
    assert '<dd data-status="unsubscribed">1</dd>' in html
    assert '<dd data-language="it">2</dd>' in html
    assert '<dd data-language="de">1</dd>' in html
    assert "4 matching." in html

    found = _text(admin_client.get("/admin/subscribers/?q=ALPINE"))
    assert "anna@alpine.example" in found and "bruno@alpine.example" in found
    assert "carla@other.example" not in found and "2 matching." in found

    found = _text(admin_client.get("/admin/subscribers/?lang=it&status=confirmed"))
    assert "carla@other.example" in found and "1 matching." in found
    assert "bruno@alpine.example" not in found

    # a search for the LIKE wildcards finds them literally, not everything
    assert "0 matching." in _text(admin_client.get("/admin/subscribers/?q=%25_"))
    # unknown filters are dropped, not a 500
    odd = admin_client.get("/admin/subscribers/?status=nope&lang=xx&page=abc")
    assert odd.status_code == 200 and "4 matching." in _text(odd)


def test_list_pages_through_many_subscribers(admin_client, session):
    session.add_all(
        Subscriber(email=f"r{n:03d}@example.net", language="en", topics=[],
                   regions=[], status="confirmed", source="test")
        for n in range(55)
    )  # fmt: skip
    session.commit()
    first = _text(admin_client.get("/admin/subscribers/"))
    assert first.count('href="/admin/subscribers/') >= 50
    assert 'rel="next"' in first
    second = _text(admin_client.get("/admin/subscribers/?page=2"))
    assert len(re.findall(r"r\d{3}@example\.net</a>", second)) == 5
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_export_neutralises_formula_cells_and_is_audited(admin_client, session):
    _add(session, "=1+2@example.net", source='=HYPERLINK("https://evil.example")')
    _add(session, "plain@example.net", source="+SUM(A1:A9)")
    _add(session, "gone@example.net", status="unsubscribed")
    response = admin_client.get("/admin/subscribers/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["email", "language", "confirmed_at", "source"]
    cells = {row[0]: row[3] for row in rows[1:]}
    assert cells == {
        "'=1+2@example.net": '\'=HYPERLINK("https://evil.example")',
        "plain@example.net": "'+SUM(A1:A9)",
    }
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.target_type) == ("export", "subscribers")


CSV = (
    "email,language,confirmed_at,source\r\n"
    "fair@example.net,de,2025-03-01T10:00:00Z,fair 2025\r\n"  # line 2: confirmed
    "web@example.net,en,,website\r\n"  # line 3: pending
    "not-an-address,en,,\r\n"  # line 4: invalid
    "known@example.net,it,,\r\n"  # line 5: already present
    "odd@example.net,xx,,\r\n"  # line 6: language not offered
    "when@example.net,en,yesterday,\r\n"  # line 7: bad date
    "FAIR@example.net,de,,\r\n"  # line 8: twice
)


def _preview(client, text: str = CSV, name: str = "people.csv"):
    return post(
        client,
        "/admin/subscribers/import",
        {"csv_file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data",
    )


def _carried(html: str) -> str:
    match = re.search(r'name="csv_text" value="([^"]*)"', html)
    assert match, "no carried CSV on the preview"
    return unescape(match.group(1))


def test_import_preview_reports_each_row_then_confirm_stores_the_new_ones(
    admin_client, session, admin_user
):
    _add(session, "known@example.net", language="en")
    preview = _preview(admin_client)
    html = _text(preview)
    assert preview.status_code == 200
    assert '<dd data-count="new">2</dd>' in html
    assert '<dd data-count="confirmed">1</dd>' in html
    assert '<dd data-count="pending">1</dd>' in html
    assert '<dd data-count="present">1</dd>' in html
    assert '<dd data-count="invalid">4</dd>' in html
    assert "line 4: " in html and "not-an-address" in html
    assert "line 6: language 'xx' is not offered" in html
    assert "line 7: confirmed_at 'yesterday' is not an ISO 8601 time" in html
    assert "line 8: fair@example.net appears twice" in html
    assert _count(session, Subscriber) == 1  # nothing stored by the preview

    done = post(
        admin_client,
        "/admin/subscribers/import/confirm",
        {"csv_text": _carried(html), "file_name": "people.csv"},
    )
    assert done.status_code == 303
    message = _text(admin_client.get(done.location))
    assert "2 subscribers imported from people.csv" in message
    assert "1 already present left unchanged" in message
    assert "4 invalid rows left out" in message
    people = {s.email: s for s in session.scalars(select(Subscriber))}
    assert set(people) == {"known@example.net", "fair@example.net", "web@example.net"}
    fair, web = people["fair@example.net"], people["web@example.net"]
    # consent evidence (a date) makes a row confirmed; without it, it waits
    assert (fair.status, fair.language) == ("confirmed", "de")
    assert fair.confirmed_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert [c.action for c in fair.consents] == ["imported-confirmed"]
    assert "file people.csv; source fair 2025; opted in 2025-03-01" in (
        fair.consents[0].detail
    )
    assert (web.status, web.confirmation_sent_at) == ("pending", None)
    assert people["known@example.net"].language == "en"  # left as it was
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.user_id) == ("import", admin_user.id)
    assert entry.after["created"] == 2 and entry.after["invalid"] == 4
    assert "@" not in entry.summary  # no address in the audit log


def test_import_can_mail_the_opt_in_to_new_pending_rows(admin_client, session, smtp):
    _add(session, "known@example.net")  # present: never mailed
    html = _text(_preview(admin_client))
    done = post(
        admin_client,
        "/admin/subscribers/import/confirm",
        {"csv_text": _carried(html), "file_name": "people.csv", "send_opt_in": "1"},
    )
    assert done.status_code == 303
    flashes = _text(admin_client.get(done.location))
    flashes = flashes[flashes.find('class="flashes"') :][:600]
    assert "1 confirmation mails sent" in flashes, flashes
    assert [m.rcpt_tos for m in smtp.recorder.messages] == [["web@example.net"]]
    web = session.scalars(
        select(Subscriber).where(Subscriber.email == "web@example.net")
    ).one()
    assert web.status == "pending" and web.confirmation_sent_at is not None


def test_import_refuses_a_file_it_cannot_read(admin_client, session):
    no_email = _preview(admin_client, "name,language\r\nAnna,de\r\n")
    assert no_email.status_code == 400
    assert "line 1: the header must name an 'email' column" in _text(no_email)
    latin = post(
        admin_client,
        "/admin/subscribers/import",
        {"csv_file": (io.BytesIO("email\r\nj\xfcrg@example.net\r\n".encode("latin-1")),
                      "old.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert latin.status_code == 400 and "not UTF-8" in _text(latin)
    rows = "".join(f"reader{n}@example.net\r\n" for n in range(20_000))
    huge = _preview(admin_client, "email\r\n" + rows)
    assert huge.status_code == 400 and "comms subscribers import" in _text(huge)
    giant = 'email,source\r\nok@example.net,fair\r\nx@example.net,"' + "a" * 140_000
    broken = _preview(admin_client, giant + '"\r\n')
    assert broken.status_code == 200  # the readable rows are shown, the rest named
    assert "line 3: field larger than field limit" in _text(broken)
    assert '<dd data-count="new">1</dd>' in _text(broken)
    missing = post(admin_client, "/admin/subscribers/import", {})
    assert missing.status_code == 400 and "choose a CSV file" in _text(missing)
    tampered = post(
        admin_client, "/admin/subscribers/import/confirm", {"csv_text": "%%%"}
    )
    assert tampered.status_code == 422
    assert "did not come back intact" in _text(tampered)
    assert _count(session, Subscriber) == 0


def test_person_page_shows_their_data_and_erase_removes_them(
    admin_client, session, smtp, admin_user, runner
):
    make_issue(session)
    person = _add(
        session, "erase-me@example.net", language="de",
        topics=["clusters"], regions=["lombardia"],
    )  # fmt: skip
    other = _add(session, "stays@example.net")
    person.consents.append(Consent(action="confirmed", method="confirmation link"))
    session.commit()
    assert runner.invoke(args=["newsletter", "send", "issue-1"]).exit_code == 0
    person_id = person.id

    page = _text(admin_client.get(f"/admin/subscribers/{person_id}/"))
    assert "<h1>erase-me@example.net</h1>" in page
    for shown in (
        "<dd>confirmed</dd>",
        "<dd>de</dd>",
        "<dd>clusters</dd>",
        "<dd>lombardia</dd>",
        "confirmation link",
        "issue-1",
        "sent",
    ):
        assert shown in page, shown  # fmt: skip

    ask = admin_client.get(f"/admin/subscribers/{person_id}/erase")
    assert ask.status_code == 200 and "Type the address to confirm" in _text(ask)
    wrong = post(admin_client, f"/admin/subscribers/{person_id}/erase",
                 {"confirm_email": "someone@else.example"})  # fmt: skip
    assert wrong.status_code == 400
    assert _count(session, Subscriber) == 2

    done = post(admin_client, f"/admin/subscribers/{person_id}/erase",
                {"confirm_email": " Erase-Me@example.net "})  # fmt: skip
    assert done.status_code == 303
    assert f"Subscriber {person_id} erased" in _text(admin_client.get(done.location))
    session.expire_all()
    assert [s.email for s in session.scalars(select(Subscriber))] == [other.email]
    assert _count(session, Consent) == 0
    assert _count(session, Delivery) == 1  # the other subscriber's
    entry = session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.target_type, entry.target_id) == (
        "erase",
        "subscriber",
        str(person_id),
    )
    assert entry.user_id == admin_user.id
    assert "erase-me" not in entry.summary
    assert admin_client.get(f"/admin/subscribers/{person_id}/").status_code == 404
    shown = runner.invoke(args=["subscribers", "show", "erase-me@example.net"])
    assert "no subscriber with that address" in shown.output


def test_a_file_just_under_the_size_limit_goes_through_preview_and_confirm(
    admin_client, session
):
    rows = "".join(f"person.{n:05d}@example.net,en,,\r\n" for n in range(11_000))
    text = "email,language,confirmed_at,source\r\n" + rows
    assert 330_000 < len(text) < 350_000
    html = _text(_preview(admin_client, text, "big.csv"))
    assert '<dd data-count="new">11000</dd>' in html
    done = post(
        admin_client,
        "/admin/subscribers/import/confirm",
        {"csv_text": _carried(html), "file_name": "big.csv"},
    )
    assert done.status_code == 303
    assert _count(session, Subscriber) == 11_000


def test_person_page_names_deliveries_as_the_delivery_report_does(
    admin_client, session
):
    person = _add(session, "bounced@example.net")
    for issue, status, code in (
        ("issue-1", "failed", 550),
        ("issue-2", "failed", 421),
        ("issue-3", "unmatched", None),
    ):
        session.add(
            Delivery(
                issue=issue, subscriber_id=person.id, status=status, smtp_code=code
            )
        )
    session.commit()

    page = _text(admin_client.get(f"/admin/subscribers/{person.id}/"))
    for shown in ("<td>Bounced</td>", "<td>Failed</td>", "Skipped: nothing matching"):
        assert shown in page, shown
    assert "<td>unmatched</td>" not in page and "<td>failed</td>" not in page
