"""`comms worker`: run the queued jobs and the periodic checks."""

from __future__ import annotations

import logging

import click

from comms.commands import get_app


@click.command("worker")
@click.option(
    "--threads",
    type=click.IntRange(1, 32),
    default=2,
    show_default=True,
    help="Jobs run at once (a send and a sync, say).",
)
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Also run the checks of each minute (due items and issues, sync, purges).",
)
def worker_command(threads: int, periodic: bool) -> None:
    """Run background jobs until stopped (Ctrl-C lets running jobs finish)."""
    from comms import db
    from comms.jobs.queue import run_worker

    app = get_app()
    if not db.schema_exists(app.extensions["comms"].engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    click.echo(f"worker: {threads} threads on {_where(app)}", err=True)
    run_worker(app, threads=threads, periodic=periodic)


def _where(app: object) -> str:
    from flask import Flask

    assert isinstance(app, Flask)
    url: str = app.extensions["comms"].settings.resolved_jobs_url
    return url.split("@")[-1] if "@" in url else url
