"""A kind's label, icon and optional partials, as cards and item pages show them.

A kind's partials (``templates/kinds/<kind>/_<part>.html``) are optional. As Jinja
macros and ``{% include ... ignore missing %}``, an item page paid for about twenty
includes: each copies the whole template context (some sixty names) into a new
one, and each missing partial is looked for and raises on every page. Here:

- ``kind_icon(kind)``: the kind's icon (its ``_icon.html``, else the generic one)
  as an ``<svg>``, rendered once per kind and kept by the app;
- ``kind_label(item)``: the kind's translated label, followed by its ``_label.html``
  when it has one, rendered with ``item`` and the template globals alone (not
  the page's context);
- ``kind_partial(kind, part)``: the partial's template name, or None when the kind
  has none (asked once per kind and part), for ``{% if %}{% include %}``.

Nothing is kept while templates reload on change (debug mode): an edit or a new
partial shows at once.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Any, cast

from flask import Flask, current_app
from jinja2 import TemplateNotFound
from markupsafe import Markup

from comms.i18n import gettext_markup
from comms.kinds import registry as kinds

EXTENSION = "comms.kind_parts"
GENERIC_ICON = "kinds/_icon.html"
_SVG = (
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" '
    'stroke="currentColor" stroke-width="1.6" stroke-linecap="round" '
    'stroke-linejoin="round">'
)


def _kept() -> dict[Any, Any] | None:
    """The app's kept answers, or None while templates reload on change."""
    if current_app.jinja_env.auto_reload:
        return None
    kept: dict[Any, Any] = current_app.extensions[EXTENSION]
    return kept


def kind_partial(kind: kinds.Kind, part: str) -> str | None:
    """The name of ``kind``'s ``part`` partial, or None when it has none."""
    kept = _kept()
    key = ("partial", kind.name, part)
    if kept is not None and key in kept:
        found: str | None = kept[key]
        return found
    name = kind.template(part)
    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        found = None
    else:
        found = name
    if kept is not None:
        kept[key] = found
    return found


def kind_icon(kind: str) -> Markup:
    """``kind``'s icon (decorative: the kind is said in words beside it)."""
    kept = _kept()
    key = ("icon", kind)
    if kept is not None and key in kept:
        icon: Markup = kept[key]
        return icon
    name = kind_partial(kinds.get(kind), "icon") or GENERIC_ICON
    paths = current_app.jinja_env.get_template(name).render()
    icon = Markup(_SVG + paths + "</svg>")  # noqa: S704 - the site's own template
    if kept is not None:
        kept[key] = icon
    return icon


def kind_label(item: Any) -> Markup:
    """The kind of ``item`` as a reader says it; a kind's ``_label.html`` adds to
    it (a report's type, a video's type)."""
    kind = kinds.get(item.kind)
    # As ``{{ _(kind.label) }}`` shows it: a translation is the site's own text.
    label = gettext_markup(kind.label)
    extra = kind_partial(kind, "label")
    if extra is None:
        return label
    template = current_app.jinja_env.get_template(extra)
    # Shared, not copied: Template.render would copy every global into the
    # partial's context first, several times what rendering it costs. A context
    # only reads its parent as a mapping, which a ChainMap is.
    names = cast(dict[str, Any], ChainMap({"item": item}, template.globals))
    context = template.new_context(names, shared=True)
    more = "".join(template.root_render_func(context))
    return label + Markup(more)  # noqa: S704 - rendered with autoescape


def init_app(app: Flask) -> None:
    """Give the templates ``kind_icon``, ``kind_label`` and ``kind_partial``."""
    app.extensions[EXTENSION] = {}
    app.add_template_global(kind_icon)
    app.add_template_global(kind_label)
    app.add_template_global(kind_partial)
