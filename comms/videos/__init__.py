"""Video sync from the project's YouTube channel, and the thumbnails it serves."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the thumbnail URL, its helper, the push callback and `comms videos`."""
    from comms import cli
    from comms.videos.cli import videos_group
    from comms.videos.push_views import bp as websub_bp
    from comms.videos.views import bp, thumbnail_url

    app.register_blueprint(bp)
    app.register_blueprint(websub_bp)
    app.add_template_global(thumbnail_url, "video_thumbnail_url")
    if videos_group.name not in cli.main.commands:
        cli.main.add_command(videos_group)
