"""``url_for`` in templates, kept per process: a page builds about forty URLs.

The same endpoint with the same values always builds the same relative URL
for the same host and script root (the URL map is fixed once the app runs, and
the app's URL defaults, the static files' hashed names, are pure), so the
answer is kept instead of walking the URL map again. External URLs, anchors,
blueprint-relative endpoints and builds outside a request go to Flask as they
are. At most ``LIMIT`` answers are kept; past that, URLs are built as before.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for

LIMIT = 20_000
EXTENSION = "comms.urls"


def kept_url_for(endpoint: str, **values: Any) -> str:
    """Flask's ``url_for``, answered from this app's table when it can be."""
    if (
        endpoint.startswith(".")
        or not has_request_context()
        or any(name.startswith("_") for name in values)  # _external, _anchor, ...
    ):
        return url_for(endpoint, **values)
    key = (request.host, request.script_root, endpoint, *sorted(values.items()))
    table: dict[Any, str] = current_app.extensions[EXTENSION]
    try:
        found = table.get(key)
    except TypeError:  # a value that cannot be part of a key (a list): build it
        return url_for(endpoint, **values)
    if found is None:
        found = url_for(endpoint, **values)
        if len(table) < LIMIT:
            table[key] = found
    return found


def init_app(app: Flask) -> None:
    """Give the app's templates the kept ``url_for``."""
    app.extensions[EXTENSION] = {}
    app.jinja_env.globals["url_for"] = kept_url_for
