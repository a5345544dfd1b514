"""Running the app under gunicorn with N sync workers."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from comms.app import build_app

        return build_app()


def _worker_exit(_server: Any, worker: Any) -> None:
    """Write the counts a worker gathered before it exits (atexit may not run)."""
    from comms.kpi.counting import flush_counts

    app = getattr(worker, "wsgi", None)
    if app is not None:
        flush_counts(app)


def run_gunicorn(host: str, port: int, workers: int) -> None:
    """Serve `comms:create_app()` under gunicorn (each worker builds its own app)."""
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "sync",
            "accesslog": "-",
            "timeout": 60,
            "worker_exit": _worker_exit,
        }
    ).run()
