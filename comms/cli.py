"""The `comms` command line: one click group, also reachable as `flask --app comms`."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo

from comms import checks as _checks
from comms.admin import cli as _admin_cli
from comms.deposits import cli as _deposits_cli
from comms.errors import CommsError, ValidationFailed
from comms.kpi import cli as _kpi_cli
from comms.videos import cli as _videos_cli


def get_app() -> Flask:
    """The current Flask app (under `flask`), else one built from the environment."""
    if has_app_context():
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        return app
    context = click.get_current_context(silent=True)
    info = context.find_object(ScriptInfo) if context else None
    from comms import db

    try:
        if info is not None:  # under `flask --app comms` or a test runner
            app = info.load_app()
        else:
            from comms import create_app

            app = create_app()
        # One line instead of a traceback when the database cannot be reached.
        db.check_reachable(app.extensions["comms"].engine)
    except CommsError as exc:
        raise click.ClickException(str(exc)) from None
    return app


@click.group(name="comms")
def main() -> None:
    """comms: communications and dissemination manager."""


@main.command("init-db")
def init_db_command() -> None:
    """Create the database schema, or upgrade it to the newest migration."""
    from comms import db

    app = get_app()
    db.init_db(app.extensions["comms"].engine)
    click.echo("database schema is up to date")


def run_import(app: Flask, path: Path, keep_going: bool) -> str:
    """Import content files and commit; return the summary line."""
    from comms import db
    from comms.catalogue.content_files import import_tree
    from comms.feeds import websub
    from comms.kpi.evidence import snapshot_after_import, utcnow

    state = app.extensions["comms"]
    if not db.schema_exists(state.engine):
        db.init_db(state.engine)
    with state.sessionmaker() as session:
        before = websub.catalogue_version(session)
        import_started = utcnow()  # items changed from here on get page snapshots
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
        click.echo(snapshot_after_import(app, session, import_started), err=True)
        pinged = websub.ping_if_changed(
            state.settings, session, before, state.site.default_language
        )
    for problem in report.problems:
        click.echo(problem, err=True)
    line = (
        f"{report.total} files: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    if report.problems:
        line += f"; {len(report.problems)} bad files skipped"
    if pinged is not None:
        line += f"; WebSub hub told of {pinged} feeds"
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
def serve_command(host: str, port: int, workers: int | None) -> None:
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
    if workers:
        from comms.serving import run_gunicorn

        run_gunicorn(host, port, workers)
    else:
        # Stopped by SIGTERM (kill, systemd, docker stop), the development server
        # would die at once; exiting like Ctrl-C runs atexit, which writes the
        # counts still waiting (comms.kpi.counting).
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


def _exit_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(0)


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
def static_export_command(out: Path, workers: int) -> None:
    """Write the public site to OUT; a second run rewrites only what changed."""
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

    report = export_site(app, out, progress, workers=workers)
    if sys.stderr.isatty() and count >= 100:
        click.echo("", err=True)
    click.echo(
        f"{report.total} files in {out}: {report.written} written, "
        f"{report.unchanged} unchanged, {report.removed} removed"
    )


def _add_newsletter_groups() -> None:
    """Attach `comms newsletter` and `comms subscribers` (imported lazily: no cycle)."""
    from comms.newsletter.cli import newsletter_group, subscribers_group

    main.add_command(newsletter_group)
    main.add_command(subscribers_group)


_add_newsletter_groups()
main.add_command(_admin_cli.user_group)
main.add_command(_videos_cli.videos_group)
main.add_command(_checks.check_command)
main.add_command(_kpi_cli.kpi_command)
main.add_command(_deposits_cli.zenodo_group)


def init_app(app: Flask) -> None:
    """Expose every command on `flask --app comms` too."""
    for command in main.commands.values():
        app.cli.add_command(command)
