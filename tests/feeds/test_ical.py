"""iCalendar of events: parsed back, stable UIDs, UTC times, escaped text."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from comms.feeds.ical import escape_text, fold
from tests.factories import future, make_item, past

STARTS = datetime(2027, 4, 12, 7, 0, tzinfo=UTC)
ENDS = datetime(2027, 4, 12, 14, 30, tzinfo=UTC)


def _events(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    return list(calendar.walk("VEVENT"))


def test_calendar_lists_public_dated_events_in_start_order(client, session):
    make_item(session, kind="event", title="Later", starts_at=ENDS.replace(day=20))
    make_item(session, kind="event", title="Sooner", starts_at=STARTS, ends_at=ENDS)
    make_item(session, kind="event", title="Draft", starts_at=STARTS, status="draft")
    make_item(session, kind="event", title="Scheduled", starts_at=STARTS,
              published_at=future(3))  # fmt: skip
    make_item(session, kind="event", title="Undated")
    make_item(session, title="A press release")
    response = client.get("/events/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.mimetype_params["charset"] == "utf-8"
    assert b"\r\n" in response.data
    events = _events(response.data)
    assert [str(e["SUMMARY"]) for e in events] == ["Sooner", "Later"]
    assert events[0].decoded("DTSTART") == STARTS
    assert events[0].decoded("DTEND") == ENDS
    assert "DTEND" not in events[1]
    assert events[0]["DTSTAMP"]


def test_event_uid_is_stable_across_title_and_slug_edits(client, session):
    event = make_item(
        session, kind="event", slug="edw-lombardia", starts_at=STARTS, ends_at=ENDS
    )
    first = _events(client.get("/events/edw-lombardia/event.ics").data)
    assert len(first) == 1
    uid = str(first[0]["UID"])
    assert uid.endswith("@127.0.0.1")
    event.title = "Renamed workshop"
    event.slug = "edw-milano"
    session.commit()
    assert client.get("/events/edw-lombardia/event.ics").status_code == 404
    renamed = _events(client.get("/events/edw-milano/event.ics").data)
    assert str(renamed[0]["UID"]) == uid
    assert str(renamed[0]["SUMMARY"]) == "Renamed workshop"
    in_calendar = _events(client.get("/events/calendar.ics").data)
    assert [str(e["UID"]) for e in in_calendar] == [uid]


def test_text_is_escaped_and_long_lines_folded(client, session):
    title = "Workshop; clusters, policy\\S3 " + "ü" * 60
    make_item(
        session,
        kind="event",
        slug="tricky",
        title=title,
        summary="Line one\nLine two, with comma; and semicolon\x07",
        location="Milan, Italy",
        starts_at=STARTS,
        published_at=past(1),
    )
    body = client.get("/events/tricky/event.ics").data
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
    assert b"\x07" not in body
    assert b"Milan\\, Italy" in body
    event = _events(body)[0]
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == "Milan, Italy"
    assert str(event["DESCRIPTION"]).startswith(
        "Line one\nLine two, with comma; and semicolon\n\nhttp://127.0.0.1:5000/"
    )
    assert str(event["URL"]) == "http://127.0.0.1:5000/events/tricky/"


def test_undated_or_unknown_event_has_no_ics(client, session):
    make_item(session, kind="event", slug="undated")
    assert client.get("/events/undated/event.ics").status_code == 404
    assert client.get("/events/nothing-here/event.ics").status_code == 404


def test_escape_and_fold_follow_rfc_5545():
    assert escape_text("a,b;c\\d\r\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = fold("DESCRIPTION:" + "é" * 80)
    lines = folded.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    unfolded = lines[0] + "".join(line.removeprefix(" ") for line in lines[1:])
    assert unfolded == "DESCRIPTION:" + "é" * 80
