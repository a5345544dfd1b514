"""Event times in the site's zone (site.yml `timezone`), named; the .ics agrees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import icalendar
import pytest
import yaml
from freezegun import freeze_time
from sqlalchemy import func, select

from comms.catalogue.models import Item
from comms.errors import ConfigMissing
from comms.site import load_site
from tests.admin.helpers import log_in_as, make_user, post
from tests.factories import make_item, write_content
from tests.web.helpers import cards, text

ZURICH = ZoneInfo("Europe/Zurich")
# 09:00-16:00 in Fribourg on 25 January 2018 (CET, UTC+1)
STARTS = datetime(2018, 1, 25, 8, 0, tzinfo=UTC)
ENDS = datetime(2018, 1, 25, 15, 0, tzinfo=UTC)
ZONE_NAMES = {
    "en": "Central European Standard Time",
    "de": "Mitteleuropäische Normalzeit",
    "fr": "heure normale d’Europe centrale",
    "it": "Ora standard dell’Europa centrale",
    "sl": "Srednjeevropski standardni čas",
}


@pytest.fixture
def content_dir(content_dir, request):
    """The test site in Europe/Zurich, unless the test is marked ``site_in_utc``."""
    if request.node.get_closest_marker("site_in_utc") is None:
        site_yml = content_dir / "site.yml"
        site_yml.write_text(site_yml.read_text() + "timezone: Europe/Zurich\n")
    return content_dir


@pytest.fixture
def workshop(session):
    return make_item(
        session, kind="event", slug="workshop", title="Workshop",
        starts_at=STARTS, ends_at=ENDS, location="Fribourg, Switzerland",
    )  # fmt: skip


@pytest.mark.parametrize("lang", sorted(ZONE_NAMES))
def test_a_fribourg_event_shows_local_time_with_the_zones_name(client, workshop, lang):
    response = client.get(f"/events/workshop/?lang={lang}")
    assert response.status_code == 200
    body = unescape(response.get_data(as_text=True))
    assert f"09:00–16:00 {ZONE_NAMES[lang]}" in body  # under the title
    assert f"09:00 {ZONE_NAMES[lang]}" in body  # Starts
    assert f"16:00 {ZONE_NAMES[lang]}" in body  # Ends
    assert "07:00" not in body and "08:00 UTC" not in body


def test_the_event_date_replaces_the_publication_date_under_the_title(client, workshop):
    body = unescape(client.get("/events/workshop/").get_data(as_text=True))
    meta = body.split('class="item-meta">', 1)[1].split("</p>", 1)[0]
    assert "25 January 2018, 09:00–16:00 Central European Standard Time" in meta
    assert workshop.published_at.strftime("%Y") not in meta.replace("2018", "")


def test_add_to_calendar_gives_the_same_instant_as_the_page(client, workshop):
    body = client.get("/events/workshop/").get_data(as_text=True)
    link = "/events/workshop/event.ics?lang=en"
    assert f'href="{link}"' in body
    response = client.get(link)
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.data)
    (event,) = calendar.walk("VEVENT")
    starts, ends = event.decoded("DTSTART"), event.decoded("DTEND")
    assert starts == STARTS and ends == ENDS
    assert starts.astimezone(ZURICH).strftime("%H:%M") == "09:00"
    assert ends.astimezone(ZURICH).strftime("%H:%M") == "16:00"


@pytest.mark.site_in_utc
def test_without_a_zone_the_site_shows_utc_by_name(client, session):
    make_item(session, kind="event", slug="call", starts_at=STARTS, ends_at=None)
    body = unescape(client.get("/events/call/").get_data(as_text=True))
    assert "08:00 Coordinated Universal Time" in body


@pytest.mark.parametrize("name", ["Europe/Fribourg", "CET+1", "../etc/passwd", ""])
@pytest.mark.site_in_utc
def test_a_bad_site_zone_is_refused_at_load(content_dir, name):
    site_yml = content_dir / "site.yml"
    site_yml.write_text(site_yml.read_text() + f"timezone: '{name}'\n")
    with pytest.raises(ConfigMissing) as caught:
        load_site(content_dir)
    assert str(caught.value).endswith(
        "timezone: must be a time zone name such as Europe/Zurich or UTC"
    )


def _event(session, slug: str, starts: datetime, hours: float = 2) -> None:
    make_item(
        session, kind="event", slug=slug, published_at=datetime(2026, 1, 1, tzinfo=UTC),
        starts_at=starts, ends_at=starts + timedelta(hours=hours),
    )  # fmt: skip


def test_events_listing_puts_upcoming_soonest_first_then_past_newest_first(
    app, session
):
    clock = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    _event(session, "last-year", clock - timedelta(days=300))
    _event(session, "last-week", clock - timedelta(days=7))
    _event(session, "under-way", clock - timedelta(hours=1))  # ends in an hour
    _event(session, "next-month", clock + timedelta(days=30))
    _event(session, "tomorrow", clock + timedelta(days=1))
    with freeze_time(clock) as frozen:
        body = text(app.test_client().get("/events/"))
        upcoming, past = body.split('id="past-h"', 1)
        assert cards(upcoming) == [
            "/events/under-way/", "/events/tomorrow/", "/events/next-month/"
        ]  # fmt: skip
        assert cards(past) == ["/events/last-week/", "/events/last-year/"]
        # two hours on, the event under way is over: the page moves it at once
        frozen.tick(timedelta(hours=2))
        body = text(app.test_client().get("/events/"))
        upcoming, past = body.split('id="past-h"', 1)
        assert cards(upcoming) == ["/events/tomorrow/", "/events/next-month/"]
        assert cards(past)[0] == "/events/under-way/"


def test_a_card_shows_the_events_local_day(client, session):
    # 23:30 UTC on 24 January is 00:30 on 25 January in Fribourg
    _event(session, "midnight", datetime(2018, 1, 24, 23, 30, tzinfo=UTC))
    body = text(client.get("/events/"))
    card = body.split('href="/events/midnight/"', 1)[1].split("</article>", 1)[0]
    assert "25 January 2018" in card


EVENT_FILE = """---
title: Stakeholder workshop
published_at: 2018-01-05T09:00:00Z
starts_at: 2018-01-25T08:00:00Z
timezone: '{zone}'
---
Body.
"""
ZONE_PROBLEM = "timezone: must be a time zone name such as Europe/Zurich or UTC"


@pytest.fixture
def editor_client(app, session):
    client = app.test_client()
    log_in_as(client, make_user(session, "editor@example.org", "editor"))
    return client


@pytest.mark.parametrize("zone", ["Europe/Fribourg", "../../etc/passwd", "CET+1"])
def test_a_bad_event_zone_is_refused_at_import_and_in_the_admin_alike(
    editor_client, runner, content_dir, session, zone
):
    form = post(
        editor_client,
        "/admin/items/new/events",
        {
            "title": "Workshop", "language": "en", "starts_at": "2026-06-01T09:00",
            "timezone": zone, "action": "save",
        },
    )  # fmt: skip
    assert form.status_code == 422
    assert ZONE_PROBLEM in unescape(form.get_data(as_text=True))
    path = write_content(
        content_dir, "events/workshop.en.md", EVENT_FILE.format(zone=zone)
    )
    result = runner.invoke(args=["import", str(content_dir)])
    assert result.exit_code != 0
    assert f"{path}: {ZONE_PROBLEM}\n" in result.stderr
    assert session.scalar(select(func.count()).select_from(Item)) == 0


def test_an_events_own_zone_is_shown_kept_in_the_api_and_exported_back(
    client, runner, content_dir, session, tmp_path
):
    write_content(
        content_dir, "events/workshop.en.md", EVENT_FILE.format(zone="Europe/London")
    )
    result = runner.invoke(args=["import", str(content_dir)])
    assert result.exit_code == 0, result.output
    body = unescape(client.get("/events/workshop/").get_data(as_text=True))
    # the event's zone beats the site's (Europe/Zurich): 08:00 GMT, not 09:00 CET
    assert "25 January 2018, 08:00 Greenwich Mean Time" in body
    assert "Central European" not in body
    api = client.get("/api/v1/items/event/workshop").get_json()
    assert api["timezone"] == "Europe/London"
    out = tmp_path / "exported"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0, result.output
    exported = (out / "events/workshop.en.md").read_text().split("---\n")[1]
    assert yaml.safe_load(exported)["timezone"] == "Europe/London"


def test_the_admin_keeps_an_events_zone(editor_client, session):
    form = post(
        editor_client,
        "/admin/items/new/events",
        {
            "title": "Workshop", "language": "en", "starts_at": "2026-06-01T09:00",
            "timezone": "Europe/Ljubljana", "action": "save",
        },
    )  # fmt: skip
    assert form.status_code in (302, 303), form.status_code
    item = session.scalars(select(Item)).one()
    assert item.details["timezone"] == "Europe/Ljubljana"
