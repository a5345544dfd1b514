"""The project's colours (site.yml ``colours``) as a small stylesheet of CSS variables.

``static/site.css`` draws everything from a few custom properties and carries the
default look; a site that names its colours gets ``/theme.<hash>.css`` after it,
overriding them. A separate file rather than an inline ``<style>``: the site's
Content-Security-Policy allows styles from its own origin only. The hash in the
name changes with the colours, so the file is cached for a year.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, url_for

from comms.context import comms_state
from comms.errors import NotFound
from comms.site import Site, normal_hex
from comms.web.assets import ONE_YEAR

bp = Blueprint("theme", __name__)


def mix(colour: str, other: str, share: float) -> str:
    """``colour`` with ``share`` (0 to 1) of ``other`` mixed in, as #rrggbb."""
    a, b = normal_hex(colour).lstrip("#"), normal_hex(other).lstrip("#")
    channels = (
        round(int(a[i : i + 2], 16) * (1 - share) + int(b[i : i + 2], 16) * share)
        for i in (0, 2, 4)
    )
    return "#" + "".join(f"{c:02x}" for c in channels)


def theme_css(site: Site) -> str:
    """The custom properties the site's colours set ("" when it names none)."""
    lines = []
    if site.primary_colour:
        primary = site.primary_colour
        lines += [
            f"--brand: {primary};",
            f"--brand-dark: {mix(primary, '#000000', 0.25)};",
            f"--brand-tint: {mix(primary, '#ffffff', 0.9)};",
            f"--link: {primary};",
            f"--link-dark: {mix(primary, '#000000', 0.3)};",
        ]
    if site.accent_colour:
        lines.append(f"--highlight: {site.accent_colour};")
    if not lines:
        return ""
    return ":root {\n  " + "\n  ".join(lines) + "\n}\n"


def _digest(css: str) -> str:
    return hashlib.sha256(css.encode()).hexdigest()[:12]


def theme_url() -> str | None:
    """The address of the site's colour stylesheet, or None when it has none."""
    css = theme_css(comms_state().site)
    return url_for("theme.stylesheet", digest=_digest(css)) if css else None


@bp.get("/theme.<digest>.css")
def stylesheet(digest: str) -> Response:
    """The colour stylesheet (immutable: its name changes with its content)."""
    css = theme_css(comms_state().site)
    if not css or digest != _digest(css):
        raise NotFound("no such stylesheet")
    response = Response(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    return response
