"""Feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1), iCalendar of events, WebSub pings."""

from __future__ import annotations

from flask import Flask

from comms import cache
from comms.catalogue.urls import register_converter


def init_app(app: Flask) -> None:
    """Register the feed URLs, the shared page cache and the feed-links helper."""
    from comms.catalogue.stamp import PAGE_STAMPS
    from comms.context import now
    from comms.feeds import links, views

    cache.init_app(app, PAGE_STAMPS, now)
    register_converter(app)  # the feeds of each kind: /<plural>/feed.xml
    app.register_blueprint(views.bp)
    app.add_template_global(links.feed_links)
