"""`comms videos sync [--full]` and `comms videos status`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask

from comms.videos.errors import SyncError


def sync_failed(error: SyncError) -> click.ClickException:
    """A click error printing one line on stderr, exiting with the error's status."""
    failure = type(
        "SyncFailed", (click.ClickException,), {"exit_code": error.exit_code}
    )
    exception: click.ClickException = failure(str(error))
    return exception


class _Bar:
    """A progress bar on stderr, created once the number of videos is known."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(
                length=total, label="Syncing videos", file=sys.stderr
            )
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group("videos")
def videos_group() -> None:
    """The video catalogue, kept in step with the project's YouTube channel."""


def _state() -> Any:
    return _app().extensions["comms"]


def _app() -> Flask:
    from comms import db
    from comms.cli import get_app

    app = get_app()
    if not db.schema_exists(app.extensions["comms"].engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    return app


@videos_group.command("sync")
@click.option(
    "--full", is_flag=True, help="Walk the whole channel, not just new uploads."
)
def sync_command(full: bool) -> None:
    """Pull the channel's video metadata and thumbnails into the catalogue."""
    from comms.publishing import announce_new
    from comms.videos.service import sync_videos

    app = _app()
    state = app.extensions["comms"]
    bar = _Bar() if sys.stderr.isatty() else None
    try:
        report = sync_videos(
            state.sessionmaker,
            state.settings,
            state.store,
            default_language=state.site.default_language,
            full=full,
            progress=bar,
        )
    except SyncError as exc:
        raise sync_failed(exc) from None
    finally:
        if bar is not None:
            bar.close()
    with state.sessionmaker() as session:
        announce_new(app, session, report.became_public, when=datetime.now(UTC))
    click.echo(report.line())


@videos_group.command("status")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
def status_command(limit: int) -> None:
    """Print the last sync runs, newest first."""
    from comms.videos.service import last_runs

    state = _state()
    with state.sessionmaker() as session:
        runs = last_runs(session, limit)
    if not runs:
        click.echo("no video sync has run yet")
        return
    for run in runs:
        click.echo(_run_line(run))


def _run_line(run: Any) -> str:
    mode = "full" if run.full else "incremental"
    started = f"{run.started_at:%Y-%m-%d %H:%M:%S} UTC"
    took = ""
    if run.finished_at is not None:
        took = f" in {(run.finished_at - run.started_at).total_seconds():.1f} s"
    head = f"#{run.id} {started} {mode} {run.outcome}{took}:"
    if run.outcome == "running":
        return f"{head} running (process {run.pid} on {run.host})"
    if run.outcome == "failed":
        return f"{head} {run.quota_units} quota units; {run.error}"
    return (
        f"{head} {run.total} videos: {run.new} new, {run.updated} updated, "
        f"{run.unavailable} unavailable; {run.quota_units} quota units"
    )
