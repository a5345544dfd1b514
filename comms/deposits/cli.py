"""`comms zenodo deposit SLUG` and `comms zenodo status`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from sqlalchemy import select

from comms.commands import get_app
from comms.deposits.errors import RepositoryValidation
from comms.errors import CommsError


@click.group("zenodo")
def zenodo_group() -> None:
    """Reports deposited in Zenodo (or another InvenioRDM) with a DOI."""


def _state() -> Any:
    from comms import db

    state = get_app().extensions["comms"]
    if not db.schema_exists(state.engine):
        raise click.ClickException("the database has no schema yet: run comms init-db")
    return state


def _failed(exc: CommsError) -> click.ClickException:
    if isinstance(exc, RepositoryValidation):
        for problem in exc.problems:
            click.echo(problem, err=True)
        count = len(exc.problems)
        return click.ClickException(
            f"the repository refused the metadata ({count} "
            f"problem{'s' if count != 1 else ''} above): nothing published"
        )
    return click.ClickException(str(exc))


@zenodo_group.command("deposit")
@click.argument("slug")
@click.option("--language", help="The language version, when there are several.")
@click.option("--yes", is_flag=True, help="Publish without asking.")
def deposit_command(slug: str, language: str | None, yes: bool) -> None:
    """Upload a report's PDFs and metadata, then publish after confirmation."""
    from comms.deposits import service
    from comms.deposits.invenio import InvenioClient

    state = _state()
    settings = state.settings
    now = datetime.now(UTC)
    with state.sessionmaker() as session:
        try:
            item = service.find_report(session, slug, language)
            client = InvenioClient.from_settings(settings)
            prepared = service.prepare(
                session, item, state.site, settings, client, state.store, now
            )
        except CommsError as exc:
            raise _failed(exc) from None
        deposit = prepared.deposit
        if prepared.outcome != "ready":
            click.echo(
                f"{slug}: published, DOI {deposit.doi} ({deposit.record_url}); "
                + (
                    "files unchanged"
                    if prepared.outcome == "unchanged"
                    else "the earlier publication was completed"
                )
            )
            return
        shown = service.preview(item, state.site, settings)
        what = "new version of " if prepared.new_version else ""
        click.echo(f"Draft {what}record {deposit.record_id} at {shown.repository}:")
        click.echo(f"  title: {shown.title}")
        click.echo(f"  creators: {'; '.join(shown.creators)}")
        click.echo(f"  date: {shown.publication_date}  licence: {shown.licence}")
        if shown.keywords:
            click.echo(f"  keywords: {', '.join(shown.keywords)}")
        if shown.funding:
            click.echo(f"  funding: {shown.funding}")
        if shown.community:
            click.echo(f"  community: {shown.community}")
        for file in shown.files:
            click.echo(f"  file: {file.key} ({file.size} bytes)")
        if deposit.draft_doi:
            click.echo(f"  DOI (reserved): {deposit.draft_doi}")
        if not yes and not click.confirm(
            "Publish it? A published record and its DOI cannot be withdrawn",
            default=False,
        ):
            click.echo(
                f"{slug}: not published; the draft waits at {deposit.record_url}"
            )
            return
        try:
            deposit = service.publish(session, item, settings, client, now)
        except CommsError as exc:
            raise _failed(exc) from None
        click.echo(f"{slug}: published, DOI {deposit.doi} ({deposit.record_url})")
        if deposit.last_error:
            click.echo(deposit.last_error, err=True)


@zenodo_group.command("status")
def status_command() -> None:
    """List every deposit: report, state, DOI, last error."""
    from comms.catalogue.models import Item
    from comms.deposits.models import ReportDeposit

    state = _state()
    with state.sessionmaker() as session:
        rows = session.execute(
            select(Item.slug, Item.language, ReportDeposit)
            .join(ReportDeposit, ReportDeposit.item_id == Item.id)
            .order_by(Item.slug, Item.language)
        ).all()
        if not rows:
            click.echo("no deposits yet")
        for slug, language, deposit in rows:
            line = f"{slug} ({language}): {deposit.state}"
            if deposit.doi:
                line += f", DOI {deposit.doi}, {deposit.version_count} version(s)"
            if deposit.last_error:
                line += f"; last error: {deposit.last_error}"
            click.echo(line)
