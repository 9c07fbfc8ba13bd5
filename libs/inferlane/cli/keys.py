"""`inferlane keys …`: API keys for scripts (the CLI's own key is made by `login`).

The API lets only a password session manage keys (a leaked key cannot mint more), so these
commands ask for the password of the signed-in account each time."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from inferlane.client import Client

from . import config, output, session

app = typer.Typer(help="API keys for scripts: list, create, revoke.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
Password = Annotated[
    str,
    typer.Option(prompt=True, hide_input=True, help="Your password (prompted, hidden)."),
]


@contextmanager
def password_session(password: str) -> Iterator[Client]:
    email = config.load().email
    if not email:
        raise typer.BadParameter("sign in first: inferlane login", param_hint="account")
    with Client(session.url()) as client:
        client.login(email, password)
        yield client


@app.command("list")
def list_(password: Password, json: Json = False) -> None:
    """Your API keys (their secrets are never shown again)."""
    with password_session(password) as client:
        page = client.list_api_keys(limit=100)
    if json:
        output.emit_json(page)
        return
    output.table(
        ["id", "name", "prefix", "created"],
        ((k.id, k.name, k.prefix, k.created_at.strftime(output.TIME)) for k in page.items),
    )
    output.next_page(page.next_cursor)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'nightly export'.")],
    password: Password,
    json: Json = False,
) -> None:
    """Create a key and print its secret, once: store it now."""
    with password_session(password) as client:
        key = client.create_api_key(name)
    if json:
        output.emit_json(key)
        return
    output.out.print(key.secret)
    output.err.print(
        f"[dim]Key {key.id} ({key.name}). This is the only time the secret is shown; send it as "
        "`Authorization: Bearer <secret>` or INFERLANE_API_KEY.[/dim]"
    )


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")],
    password: Password,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    with password_session(password) as client:
        client.revoke_api_key(key_id)
    output.out.print(f"Revoked key {key_id}.")
