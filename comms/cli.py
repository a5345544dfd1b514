"""The `comms` command line: one click group, also reachable as `flask --app comms`."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import ScriptInfo

from comms import checks
from comms.admin.cli import user_group
from comms.app import build_app
from comms.commands import get_app
from comms.deposits.cli import zenodo_group
from comms.errors import CommsError, ValidationFailed
from comms.jobs.cli import worker_command
from comms.kpi.cli import kpi_command
from comms.newsletter.cli import newsletter_group, subscribers_group
from comms.videos.cli import videos_group


@click.group(name="comms")
@click.pass_context
def main(context: click.Context) -> None:
    """comms: communications and dissemination manager."""
    if context.find_object(ScriptInfo) is None:  # the `comms` script, not `flask`
        context.obj = ScriptInfo(create_app=build_app, set_debug_flag=False)


@main.command("init-db")
def init_db_command() -> None:
    """Create the database schema, or upgrade it to the newest migration."""
    from comms import db

    app = get_app()
    db.init_db(app.extensions["comms"].engine)
    click.echo("database schema is up to date")


def run_import(app: Flask, path: Path, keep_going: bool) -> str:
    """Import content files and commit; return the summary line."""
    from sqlalchemy import select

    from comms import db
    from comms.catalogue.content_files import import_tree
    from comms.catalogue.models import Item, utcnow
    from comms.publishing import announce

    state = app.extensions["comms"]
    if not db.schema_exists(state.engine):
        db.init_db(state.engine)
    with state.sessionmaker() as session:
        import_started = utcnow()  # items changed from here on are announced
        try:
            report = import_tree(
                session, state.store, path, keep_going=keep_going,
                max_image_pixels=state.settings.max_image_pixels,
            )  # fmt: skip
        except ValidationFailed as exc:
            for problem in exc.problems:
                click.echo(problem, err=True)
            count = len(exc.problems)
            raise click.ClickException(
                f"{count} bad file{'s' if count != 1 else ''}: nothing imported "
                "(use --keep-going to import the good files)"
            ) from None
        session.commit()
        changed = session.scalars(
            select(Item).where(Item.updated_at >= import_started).order_by(Item.id)
        ).all()
        public = [item for item in changed if item.is_public(utcnow())]
        announce(app, session, public, when=utcnow())
        imported = {(i.slug, i.language) for i in changed if i.kind == "report"}
        pdf_warnings = [
            p for p in checks.pdf_problems(session) if (p.slug, p.language) in imported
        ]
    for warning in pdf_warnings:  # kept, as at an upload: `comms check` says how
        click.echo(f"warning: PDF accessibility: {warning}", err=True)
    for problem in report.problems:
        click.echo(problem, err=True)
    line = (
        f"{report.total} files: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    if report.problems:
        line += f"; {len(report.problems)} bad files skipped"
    if public:
        line += f"; {len(public)} public items announced (WebSub, page snapshots)"
    return line


@main.command("import")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--keep-going", is_flag=True, help="Store the good files despite bad ones."
)
def import_command(path: Path, keep_going: bool) -> None:
    """Load content files from PATH (idempotent upsert by kind, slug and language)."""
    line = run_import(get_app(), path, keep_going)
    click.echo(line)
    if "bad files skipped" in line:
        sys.exit(1)


@main.command("export")
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
def export_command(path: Path) -> None:
    """Write the catalogue to PATH as content files."""
    from comms import db
    from comms.catalogue.content_files import export_tree

    app = get_app()
    state = app.extensions["comms"]
    if not db.schema_exists(state.engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    with state.sessionmaker() as session:
        try:
            count = export_tree(
                session, state.store, path, state.settings.content_dir / "site.yml"
            )
        except CommsError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"exported {count} files to {path}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(1, 64), help="Run under gunicorn.")
@click.option(
    "--worker/--no-worker", "job_worker", default=None,
    help="Run `comms worker` beside the site (default: yes, except in production).",
)  # fmt: skip
def serve_command(
    host: str, port: int, workers: int | None, job_worker: bool | None
) -> None:
    """Serve the site; on an empty database, create the schema and import content."""
    from comms import db

    app = get_app()
    state = app.extensions["comms"]
    if not db.schema_exists(state.engine):
        db.init_db(state.engine)
        content = state.settings.content_dir
        if content.is_dir():
            click.echo(f"empty database: importing {content}")
            click.echo(run_import(app, content, keep_going=False))
    else:
        db.init_db(state.engine)
    if job_worker is None:
        job_worker = not state.settings.production
    child = _start_worker() if job_worker else None
    # SIGTERM (systemd, a test's terminate()) would end this process without
    # running the finally below, leaving the worker child behind: exit normally.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        if workers:
            from comms.serving import run_gunicorn

            run_gunicorn(host, port, workers)
        else:
            app.run(
                host=host, port=port, debug=False, use_reloader=False, threaded=True
            )
    finally:
        if child is not None:
            _stop_worker(child)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _stop_worker(child: subprocess.Popen[bytes]) -> None:
    """Stop the worker child (SIGTERM: huey stops at once; a cut job resumes)."""
    child.terminate()
    try:
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _start_worker() -> subprocess.Popen[bytes]:
    """`comms worker` as a child process, with this process's settings (environment)."""
    return subprocess.Popen([sys.executable, "-m", "comms", "worker"])  # noqa: S603


@main.group("static")
def static_group() -> None:
    """The public site as static files."""


@static_group.command("export")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Render the pages in this many processes (at most one per CPU helps).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Render every page again, not only those the changes since the last "
    "export can show (a file is still written only when its bytes differ).",
)
def static_export_command(out: Path, workers: int, full: bool) -> None:
    """Write the public site to OUT; a second run renders only what changed."""
    from comms import db
    from comms.static_export import export_site

    app = get_app()
    if not db.schema_exists(app.extensions["comms"].engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    count = 0

    def progress(_path: str) -> None:
        nonlocal count
        count += 1
        if sys.stderr.isatty() and count % 100 == 0:
            click.echo(f"\r{count} pages fetched", nl=False, err=True)

    try:
        report = export_site(app, out, progress, workers=workers, full=full)
    except CommsError as exc:
        raise click.ClickException(str(exc)) from None
    if sys.stderr.isatty() and count >= 100:
        click.echo("", err=True)
    click.echo(
        f"{report.total} files in {out}: {report.written} written, "
        f"{report.unchanged} unchanged, {report.removed} removed"
    )


# Each domain defines its commands in its own cli.py; they are attached here only.
for _command in (
    newsletter_group, subscribers_group, user_group, videos_group,
    checks.check_command, kpi_command, worker_command, zenodo_group,
):  # fmt: skip
    main.add_command(_command)


def init_app(app: Flask) -> None:
    """Expose every command on `flask --app comms` too."""
    for command in main.commands.values():
        app.cli.add_command(command)
