"""Site-wide routes: health check, robots.txt and the site's own media."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from sqlalchemy import text

from comms.web.context import comms_state, get_session

bp = Blueprint("web", __name__)
SITE_MEDIA_TYPES = {".svg", ".png", ".jpg", ".jpeg", ".webp", ".pdf"}


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Liveness and database check for load balancers."""
    try:
        get_session().execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200


@bp.get("/robots.txt")
def robots() -> Response:
    """Allow crawlers everywhere but the admin; name the sitemap."""
    site_url = comms_state().settings.site_url
    body = f"User-agent: *\nDisallow: /admin/\nSitemap: {site_url}/sitemap.xml\n"
    return Response(body, mimetype="text/plain")


@bp.get("/media/<path:filename>")
def site_media(filename: str) -> Response:
    """Files of the site's identity (emblem, logo) from the content folder."""
    from pathlib import PurePosixPath

    from comms.errors import NotFound

    if PurePosixPath(filename).suffix.lower() not in SITE_MEDIA_TYPES:
        raise NotFound("no such file")
    return send_from_directory(
        comms_state().settings.content_dir / "media", filename, max_age=86400
    )


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """Every public page with its last change and its language alternates."""
    from flask import render_template

    from comms.catalogue.service import sitemap_entries
    from comms.web.context import now

    entries = sitemap_entries(get_session(), now=now())
    body = render_template("web/sitemap.xml", entries=entries)
    return Response(body, mimetype="application/xml")
