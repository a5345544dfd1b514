"""The ``<plural:...>`` URL converter: a registered kind's segment in a route."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter, Map, ValidationError

from comms import kinds


class PluralConverter(BaseConverter):
    """A registered kind's URL segment (``reports``), as ``any(...)`` of them all.

    The alternatives are read from the kind registry when the URL map takes the
    rule, so a kind registered before the app is built has its pages and feeds;
    one unregistered since answers 404.
    """

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, *args, **kwargs)
        plurals = sorted(kinds.KIND_PLURALS.values(), key=len, reverse=True)
        self.regex = f"(?:{'|'.join(re.escape(p) for p in plurals)})"

    def to_python(self, value: str) -> str:
        """The segment, while its kind is registered."""
        if kinds.by_plural(value) is None:
            raise ValidationError()
        return value


def register_converter(app: Flask) -> None:
    """Make ``<plural:name>`` known to the app's URL map (before any rule uses it)."""
    app.url_map.converters.setdefault("plural", PluralConverter)
