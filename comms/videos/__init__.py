"""Video sync from the project's YouTube channel, and the thumbnails it serves."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the thumbnail URL, its helper and the push callback."""
    from comms.videos.push_views import bp as websub_bp
    from comms.videos.views import bp, thumbnail_url

    app.register_blueprint(bp)
    app.register_blueprint(websub_bp)
    app.add_template_global(thumbnail_url, "video_thumbnail_url")
