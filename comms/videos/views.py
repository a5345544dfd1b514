"""Thumbnails served by the site itself: no visitor request ever goes to Google."""

from __future__ import annotations

from flask import Blueprint, Response, send_file, url_for
from sqlalchemy import select

from comms.catalogue.media import MEDIA_MAX_AGE
from comms.catalogue.models import Item
from comms.catalogue.service import reachable
from comms.context import comms_state, get_session, now
from comms.errors import NotFound
from comms.videos.models import VideoThumbnail
from comms.videos.thumbnails import placeholder

bp = Blueprint("videos", __name__)


@bp.route("/videos/<slug>/thumbnail.jpg", methods=["GET", "HEAD"])
def thumbnail(slug: str) -> Response:
    """A reachable video's thumbnail from the media store, or the placeholder."""
    session = get_session()
    row = session.execute(
        select(Item.id, VideoThumbnail.sha256, VideoThumbnail.media_type)
        .outerjoin(VideoThumbnail, VideoThumbnail.youtube_id == Item.youtube_id)
        # Wherever the video's page answers (an archived one too), its poster does.
        .where(Item.kind == "video", Item.slug == slug, reachable(now()))
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(f"no public video {slug!r}")
    if row.sha256:
        path = comms_state().store.path_for(row.sha256)
        if path.exists():
            return send_file(
                path,
                mimetype=row.media_type,
                conditional=True,
                etag=row.sha256,
                max_age=MEDIA_MAX_AGE,
            )
    colour = comms_state().site.primary_colour
    response = Response(placeholder(colour), mimetype="image/jpeg")
    response.headers["X-Thumbnail"] = "placeholder"
    response.cache_control.public = True
    response.cache_control.max_age = MEDIA_MAX_AGE
    return response


def thumbnail_url(item: Item) -> str:
    """The site-local URL of a video's thumbnail (template global)."""
    return url_for("videos.thumbnail", slug=item.slug)
