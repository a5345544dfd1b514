"""What the background worker runs: each kind of job, and the checks of each minute.

The job engine (``comms.jobs``) knows no feature: it runs whatever kinds are
registered with ``comms.jobs.queue.handler`` and the checks registered with
``comms.jobs.queue.every_minute``. This package registers the site's, calling into
each domain, so it sits on top beside the app and the command line.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the kinds of job and the minute's checks (once per process)."""
    from comms.jobs import queue
    from comms.worker import handlers  # noqa: F401  (registers the kinds of job)
    from comms.worker.periodic import every_minute

    queue.every_minute(every_minute)
