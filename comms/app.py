"""The application factory: wires settings, database and blueprints once."""

from __future__ import annotations

import gc
import itertools

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from comms import errors_http
from comms.catalogue import stamp
from comms.config import Settings, shipped
from comms.state import Comms


def build_app(settings: Settings | None = None) -> Flask:
    """Create the app from ``settings`` (default: the COMMS_* environment)."""
    settings = (settings or Settings.from_env()).with_secret()
    app = Flask(
        "comms",
        instance_path=str(settings.instance_path),
        template_folder=str(shipped("templates")),
        static_folder=str(shipped("static")),
        static_url_path="/static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
    )
    stamp.install()
    app.extensions["comms"] = Comms(settings)
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from comms import i18n, newsletter, security, web, worker
    from comms.admin import init_app as admin_init_app
    from comms.api import init_app as api_init_app
    from comms.catalogue import views as catalogue_views
    from comms.feeds import init_app as feeds_init_app
    from comms.kpi import init_app as kpi_init_app
    from comms.pages import init_app as pages_init_app
    from comms.search import init_app as search_init_app
    from comms.videos import init_app as videos_init_app

    db_session_teardown(app)
    errors_http.init_app(app)
    security.init_input_checks(app)
    i18n.init_app(app)
    web.init_app(app)
    catalogue_views.init_app(app)
    feeds_init_app(app)
    newsletter.init_app(app)
    kpi_init_app(app)
    api_init_app(app)
    security.init_app(app)
    admin_init_app(app)
    videos_init_app(app)
    search_init_app(app)
    pages_init_app(app)
    worker.init_app(app)
    trust_proxies(app, settings.proxies)
    if not settings.testing:
        freeze_after_warmup(app)
    return app


def trust_proxies(app: Flask, proxies: int) -> None:
    """Believe the X-Forwarded-For/-Proto/-Host of the ``proxies`` proxies in front.

    Outermost middleware, so every limit, log line and cached answer sees the real
    client. With 0 the headers are ignored: a client cannot forge its address.
    """
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )


WARMUP_REQUESTS = 200


def freeze_after_warmup(app: Flask, requests: int = WARMUP_REQUESTS) -> None:
    """Keep long-lived objects out of the garbage collector's full passes.

    The app, its templates, metadata and translations (well over 100,000 objects)
    live as long as the process, yet every full collection walks them all: tens of
    milliseconds, paid by whichever request triggers it. They are frozen once at
    start-up and once more after the first ``requests`` requests, when the
    templates and statement caches have been built.
    """
    gc.freeze()
    served = itertools.count(1)

    @app.teardown_request
    def _freeze_once_warm(_error: BaseException | None) -> None:
        if next(served) == requests:
            gc.collect()
            gc.freeze()


def db_session_teardown(app: Flask) -> None:
    """Close the request's session when the request ends."""
    from comms.context import close_session

    app.teardown_appcontext(close_session)
