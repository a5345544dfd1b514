"""Events: workshops and conferences with a start, an end, a place and links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from comms import links, zones
from comms.kinds import values
from comms.kinds.registry import Field, Kind
from comms.messages import N_

NULLABLE_STRING: dict[str, Any] = {"type": ["string", "null"]}
NULLABLE_TIMESTAMP: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}


def check_times(parsed: Mapping[str, Any]) -> list[str]:
    """An event may not end before it starts."""
    starts, ends = parsed.get("starts_at"), parsed.get("ends_at")
    if starts and ends and ends < starts:
        return ["ends_at: must not be before starts_at"]
    return []


KIND = Kind(
    name="event",
    plural="events",
    label=N_("Event"),
    plural_label=N_("Events"),
    in_sentence=N_("events"),
    archived_notice=N_(
        "This event is archived: it is kept for reference and may be out of date."
    ),
    has_dates=True,
    check=check_times,
    schema_type="Event",
    fields=(
        Field(
            "starts_at",
            values.timestamp,
            "column",
            "Starts (UTC)",
            widget="datetime",
            required=True,
            schema=NULLABLE_TIMESTAMP,
        ),
        Field(
            "ends_at",
            values.timestamp,
            "column",
            "Ends (UTC)",
            widget="datetime",
            schema=NULLABLE_TIMESTAMP,
        ),
        Field(
            "timezone",
            zones.zone_name,
            "details",
            "Time zone",
            shown=zones.stored_zone,
            hint="Where it takes place, e.g. Europe/Zurich; empty: the site's "
            "({site_timezone}). Times are shown to visitors in it.",
            schema={
                "type": ["string", "null"],
                "description": "The event's IANA time zone; null: the site's.",
            },
        ),
        Field(
            "location",
            values.text,
            "column",
            "Location",
            limit=300,
            schema=NULLABLE_STRING,
        ),
        Field(
            "online_url",
            values.url,
            "details",
            "Online link",
            widget="url",
            schema=NULLABLE_STRING,
            shown=links.shown_url,
        ),
        Field(
            "registration_url",
            values.url,
            "details",
            "Registration link",
            widget="url",
            schema=NULLABLE_STRING,
            shown=links.shown_url,
        ),
        Field(
            "participants",
            values.count,
            "column",
            "Participants",
            widget="number",
            schema={"type": ["integer", "null"], "minimum": 0},
        ),
    ),  # fmt: skip
)
