"""The pages of the sitemap that have no item behind them.

A page without an item behind it (a listing, the newsletter archive, a statement)
puts itself in the sitemap by decorating its view; the sitemap knows no page. It
sits below every domain, so any view can mark itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import current_app, url_for

_SITEMAP_ATTR = "comms_sitemap_variants"
View = TypeVar("View", bound=Callable[..., Any])


Variants = Callable[[], Iterable[dict[str, str]]]


def in_sitemap(*variants: dict[str, str] | Variants) -> Callable[[View], View]:
    """Decorate a public view to list it (once per ``variants`` URL value set).

    A variant may be a function giving URL value sets when the sitemap is built,
    for pages that exist as long as the content does (a region's, a topic's).
    """

    def mark(view: View) -> View:
        setattr(view, _SITEMAP_ATTR, list(variants) or [{}])
        return view

    return mark


def _variant_values(variants: list[dict[str, str] | Variants]) -> list[dict[str, Any]]:
    return [
        values
        for variant in variants
        for values in (variant() if callable(variant) else [variant])
    ]


def sitemap_paths() -> list[str]:
    """The paths of every view marked ``in_sitemap``, in the URL map's order."""
    paths: list[str] = []
    for rule in current_app.url_map.iter_rules():
        view = current_app.view_functions.get(rule.endpoint)
        for values in _variant_values(getattr(view, _SITEMAP_ATTR, [])):
            path = url_for(rule.endpoint, **values)
            if path not in paths:
                paths.append(path)
    return paths
