"""Template filters and globals: dates, numbers, durations, URLs, site identity."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, request, url_for

from comms.context import comms_state, language_despite_query
from comms.i18n import (
    format_date,
    format_datetime,
    format_file_size,
    format_local,
    format_number,
    format_span,
)
from comms.links import shown_url
from comms.seo import item_path
from comms.text import duration_seconds
from comms.zones import shown_zone

LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "it": "Italiano",
    "sl": "Slovenščina",
}


def format_duration(value: str | None) -> str:
    """ISO 8601 duration (PT4M13S) as 4:13."""
    seconds = duration_seconds(value)
    if seconds is None:
        return ""
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minute:02d}:{second:02d}"
    return f"{minute}:{second:02d}"


def event_zone(item: Any) -> ZoneInfo:
    """The zone an event's times are shown in: its own, else the site's."""
    site_zone = comms_state().site.timezone
    return shown_zone((item.details or {}).get("timezone"), site_zone)


def local_datetime(value: datetime | None, item: Any) -> str:
    """A time of ``item`` in its zone (see ``event_zone``), with the zone's name."""
    return format_local(value, event_zone(item))


def local_date(value: datetime | None, item: Any) -> str:
    """A date of ``item`` in its zone: an event at 00:30 in Zurich is on that day."""
    if value is None:
        return ""
    return format_date(value.astimezone(event_zone(item)).date())


def event_when(item: Any) -> str:
    """An event's date and time range in its zone, with the zone's name."""
    return format_span(item.starts_at, item.ends_at, event_zone(item))


def item_url(item: Any, **params: Any) -> str:
    """The public URL of an item."""
    if params:  # a query string (?lang=)
        return url_for("catalogue.item", plural=item.plural, slug=item.slug, **params)
    return item_path(item.plural, item.slug)


def page_url(number: int) -> str:
    """The current listing's URL for another page, keeping every filter."""
    args = request.args.to_dict()
    if number <= 1:
        args.pop("page", None)
    else:
        args["page"] = str(number)
    values: dict[str, Any] = {**(request.view_args or {}), **args}
    return url_for(request.endpoint or "catalogue.news", **values)


# What a language link keeps of the current query: the public pages' own
# parameters, never anything else a visitor's URL may carry (a login's `next`).
LANGUAGE_LINK_PARAMS = frozenset({"q", "kind", "tag", "region", "page"})


def language_url(code: str) -> str:
    """This page in another language: its filters with ``lang=code`` (relative)."""
    kept = [
        (k, v) for k, v in request.args.items(multi=True) if k in LANGUAGE_LINK_PARAMS
    ]
    return "?" + urlencode([*kept, ("lang", code)])


def config_site_url() -> str:
    """The site's absolute base URL (COMMS_SITE_URL) without a trailing slash."""
    return comms_state().settings.site_url.rstrip("/")


def breadcrumb_ld(crumbs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Breadcrumbs (label, site path) as schema.org ListItems with absolute URLs."""
    base = config_site_url()
    return [
        {"@type": "ListItem", "position": number, "name": label, "item": base + path}
        for number, (label, path) in enumerate(crumbs, 1)
    ]


def init_app(app: Flask) -> None:
    """Register filters and globals for every template."""
    app.add_template_filter(format_date, "date")
    app.add_template_filter(format_datetime, "datetime")
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_global(event_when)
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_file_size, "file_size")
    app.add_template_filter(format_duration, "duration")
    app.add_template_filter(shown_url, "public_url")
    app.add_template_global(item_url)
    app.add_template_global(page_url)
    app.add_template_global(language_url)
    app.add_template_global(config_site_url)
    app.add_template_global(breadcrumb_ld)
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES

    @app.context_processor
    def site_context() -> dict[str, Any]:
        return {"site": comms_state().site, "lang": language_despite_query()}
