"""Accounts: register, login (stores an API key), logout, whoami."""

import socket
from dataclasses import replace
from typing import Annotated

import typer

from inferlane.client import AuthenticationError, Client, User

from . import config, exits, output, session

Json = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
Email = Annotated[str, typer.Option(prompt=True, help="Your email address.")]


def register(
    email: Email,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    json: Json = False,
) -> None:
    """Create an account (the password needs at least 12 characters)."""
    with session.client() as client:
        user = client.register(email, password)
    if json:
        output.emit_json(user)
    else:
        output.out.print(f"Registered {user.email}. Now run `inferlane login`.")


def login(
    email: Annotated[str | None, typer.Option(help="Your email address (prompted).")] = None,
    password: Annotated[
        str | None, typer.Option(help="Your password (prompted, hidden).", show_default=False)
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option("--api-key", help="Store this API key instead of signing in."),
    ] = None,
    json: Json = False,
) -> None:
    """Sign in and store credentials in the config file (mode 0600).

    With email and password, an API key named after this machine is created and stored,
    so the CLI keeps working after the short-lived access token expires."""
    url = session.url()
    with Client(url, api_key=api_key) as client:
        if api_key is not None:
            user, key_id = client.me(), None
        else:
            email = email or typer.prompt("Email")
            password = password or typer.prompt("Password", hide_input=True)
            try:
                client.login(email, password)
            except AuthenticationError as exc:
                output.problem(exc, signing_in=True)
                raise typer.Exit(exits.AUTH) from None
            user = client.me()
            created = client.create_api_key(f"inferlane CLI on {socket.gethostname()}"[:100])
            api_key, key_id = created.secret, str(created.id)
    stored = replace(config.load(), url=url, api_key=api_key, api_key_id=key_id, email=user.email)
    path = config.save(stored)
    if json:
        output.emit_json({"user": user, "url": url, "config": str(path)})
    else:
        output.out.print(f"Signed in to {url} as [bold]{user.email}[/bold].")
        output.err.print(f"[dim]API key stored in {path}[/dim]")


def logout() -> None:
    """Revoke the API key `login` created and forget the stored credentials."""
    saved = config.load()
    if saved.api_key and saved.api_key_id:
        with session.client() as client:
            client.revoke_api_key(saved.api_key_id)
    config.forget_credentials()
    output.out.print("Signed out.")


def whoami(json: Json = False) -> None:
    """The signed-in user."""
    with session.client() as client:
        user: User = client.me()
    if json:
        output.emit_json(user)
    else:
        output.out.print(f"{user.email} ({user.role}) at {session.url()}")
