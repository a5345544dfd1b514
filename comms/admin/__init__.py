"""The officers' admin at /admin/: accounts, the item editor, uploads, audit log."""

from __future__ import annotations

from flask import Flask

from comms import csrf


def init_app(app: Flask) -> None:
    """Register the admin blueprint, the public image URLs and csrf_token()."""
    from comms.admin.views import (  # noqa: F401
        accounts,
        autosave,
        dashboard,
        deposits,
        files,
        item_list,
        items,
        jobs,
        login,
        media,
        newsletters,
        register,
        review,
        revisions,
        subscribers,
        videos,
    )
    from comms.admin.views.blueprint import bp

    app.register_blueprint(bp)
    app.register_blueprint(files.media_bp)
    csrf.init_app(app)
