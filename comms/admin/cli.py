"""`comms user create EMAIL --role editor|admin`: accounts from the command line."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from comms.commands import get_app


@click.group(name="user")
def user_group() -> None:
    """Officers' accounts."""


@user_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["editor", "admin"]),
    default="editor",
    show_default=True,
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
def create_command(email: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password comes from a prompt or standard input."""
    from comms import db
    from comms.admin import accounts
    from comms.errors import ValidationFailed

    app = get_app()
    state = app.extensions["comms"]
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, err=True
        )
    db.init_db(state.engine)
    new = accounts.NewAccount(email=email, role=role, password=password)
    with state.sessionmaker() as session:
        try:
            user = accounts.create_user(session, new, actor=None, now=datetime.now(UTC))
        except ValidationFailed as exc:
            raise click.ClickException("; ".join(exc.problems)) from None
    click.echo(f"created {user.role} account {user.email}")
