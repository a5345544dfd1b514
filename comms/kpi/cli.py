"""`comms kpi`: the dissemination figures of a period, as a table, CSV or JSON."""

from __future__ import annotations

import click

from comms.commands import get_app
from comms.errors import CommsError


@click.command("kpi")
@click.option("--period", "number", type=int, help="A reporting period of site.yml.")
@click.option("--from", "start", help="First day, YYYY-MM-DD (UTC, included).")
@click.option("--to", "end", help="Last day, YYYY-MM-DD (UTC, included).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
def kpi_command(
    number: int | None, start: str | None, end: str | None, fmt: str
) -> None:
    """Print the dissemination figures of a period (default: the current one)."""
    from comms import db
    from comms.kpi import counting, export, indicators

    if number is not None and (start or end):
        raise click.UsageError("give --period or --from/--to, not both")
    app = get_app()
    state = app.extensions["comms"]
    if not db.schema_exists(state.engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    try:
        period = indicators.choose_period(
            state.site.reporting_periods,
            number=number,
            start=start,
            end=end,
            today=counting.today(),
        )
        with state.sessionmaker() as session:
            if not counting.has_snapshot(session, counting.today()):
                counting.snapshot_videos(session)
            report = indicators.compute(session, period)
    except CommsError as exc:
        raise click.ClickException(str(exc)) from None
    site_url = state.settings.site_url
    if fmt == "csv":
        click.echo(export.as_csv(report, site_url), nl=False)
    elif fmt == "json":
        click.echo(export.as_json(report, site_url), nl=False)
    else:
        click.echo(export.as_table(report), nl=False)
