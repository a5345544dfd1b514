"""`comms videos sync [--full]`, `comms videos status` and `comms videos push ...`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask

from comms.commands import get_app
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

    app = get_app()
    if not db.schema_exists(app.extensions["comms"].engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    return app


@videos_group.command("sync")
@click.option(
    "--full", is_flag=True, help="Walk the whole channel, not just new uploads."
)
def sync_command(full: bool) -> None:
    """Pull the channel's video metadata and thumbnails into the catalogue.

    With YouTube push set up, it also renews the push lease when due, and skips
    the poll while push is active and was heard from recently.
    """
    from comms.publishing import announce_new
    from comms.videos import push
    from comms.videos.service import sync_videos

    app = _app()
    state = app.extensions["comms"]
    plan = push.plan_scheduled_sync(
        state.sessionmaker, state.settings, _now(), full=full
    )
    for note in plan.notes:
        click.echo(note, err=True)
    if not plan.poll:
        click.echo("push is active and recent: no poll needed")
        return
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
        if plan.push:
            push.poll_failed(state.sessionmaker)
        raise sync_failed(exc) from None
    finally:
        if bar is not None:
            bar.close()
    with state.sessionmaker() as session:
        announce_new(app, session, report.became_public, when=datetime.now(UTC))
    click.echo(report.line())


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


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


@videos_group.group("push")
def push_group() -> None:
    """YouTube push: the channel's uploads announced by WebSub within seconds."""


def _channel_id(state: Any, given: str | None) -> str:
    from comms.videos.youtube import YouTube, channel_lookup, check_settings

    if given:
        param, value = channel_lookup(given)
        if param != "id":
            raise click.ClickException("--channel-id must be a UC... channel id")
        return value
    _key, ref = check_settings(state.settings)
    param, value = channel_lookup(ref)
    if param == "id":
        return value
    client = YouTube(state.settings)  # an @handle: channels.list, 1 quota unit
    try:
        return client.channel(ref).id
    finally:
        client.close()


@push_group.command("subscribe")
@click.option("--channel-id", help="The UC... id (default: COMMS_YOUTUBE_CHANNEL).")
def push_subscribe(channel_id: str | None) -> None:
    """Subscribe the channel's upload feed at the hub (it then verifies us)."""
    from comms.videos import push, websub

    state = _state()
    try:
        channel = _channel_id(state, channel_id)
        sub = push.subscribe(state.sessionmaker, state.settings, channel, _now())
    except SyncError as exc:
        raise sync_failed(exc) from None
    except websub.HubError as exc:
        raise click.ClickException(str(exc)) from None
    base = push.callback_url(state.settings, sub).removesuffix(sub.token)
    click.echo(f"subscription asked of {sub.hub}; the hub now calls {base}...")


@push_group.command("renew")
@click.option("--force", is_flag=True, help="Renew now, even if not due yet.")
def push_renew(force: bool) -> None:
    """Renew the push lease when less than a fifth of it remains."""
    from comms.videos import push, websub

    state = _state()
    try:
        sub = push.renew(state.sessionmaker, state.settings, _now(), force=force)
    except websub.HubError as exc:
        raise click.ClickException(str(exc)) from None
    if sub is None:
        click.echo("push lease renewal not due (or no subscription)")
    else:
        click.echo(f"renewal asked of {sub.hub}")


@push_group.command("unsubscribe")
def push_unsubscribe() -> None:
    """Ask the hub to end the push lease; the scheduled sync then polls."""
    from comms.errors import NotFound
    from comms.videos import push, websub

    state = _state()
    try:
        sub = push.unsubscribe(state.sessionmaker, state.settings, _now())
    except (websub.HubError, NotFound) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"unsubscription asked of {sub.hub}")


@push_group.command("status")
def push_status() -> None:
    """Print the push lease, its expiry and the last notification."""
    from comms.videos import push

    state = _state()
    now = _now()
    with state.sessionmaker() as session:
        sub = push.current(session)
        if sub is None:
            click.echo("push is not set up: run comms videos push subscribe")
            return
        reason = push.poll_reason(session, state.settings, now)
        for line in push.status_lines(sub, now):
            click.echo(line)
        plan = f"polls ({reason})" if reason else "skips the poll"
        click.echo(f"scheduled sync: {plan}")
