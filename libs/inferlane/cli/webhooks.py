"""`inferlane webhooks …`: endpoints that receive your tasks' terminal events, signed the
Standard Webhooks way (docs/webhooks.md), and their delivery logs."""

from typing import Annotated

import typer

from inferlane.client import WebhookAttempt, WebhookCreated

from . import output, session

app = typer.Typer(
    help="Webhook endpoints for finished tasks: create, list, delete, rotate-secret, deliveries.",
    no_args_is_help=True,
)
Json = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
Limit = Annotated[int | None, typer.Option(min=1, max=100, help="Items per page.")]
Cursor = Annotated[str | None, typer.Option(help="Page cursor from a previous listing.")]
WebhookId = Annotated[str, typer.Argument(help="The endpoint's id (see `webhooks list`).")]
DELIVERY_TIME = "%m-%d %H:%M:%S"  # seconds matter between retries; the year does not


@app.command()
def create(
    url: Annotated[str, typer.Argument(help="http(s) URL that will receive the events.")],
    description: Annotated[str | None, typer.Option(help="Your note about it.")] = None,
    json: Json = False,
) -> None:
    """Register an endpoint and print its signing secret, once: store it now."""
    with session.client() as client:
        endpoint = client.create_webhook(url, description=description)
    _secret(endpoint, json, "Endpoint")


@app.command("list")
def list_(limit: Limit = None, cursor: Cursor = None, json: Json = False) -> None:
    """Your endpoints, newest first, with their state (secrets are never shown again)."""
    with session.client() as client:
        page = client.list_webhooks(limit=limit, cursor=cursor)
    if json:
        output.emit_json(page)
        return
    # No created column: at 80 columns the whole id leaves the URL little enough room (--json).
    output.table(["id", "state", "url"], ((w.id, w.state, w.url) for w in page.items))
    for w in page.items:
        if w.disabled_reason:
            output.err.print(f"[yellow]{w.id} disabled: {w.disabled_reason}[/yellow]")
    output.next_page(page.next_cursor)


@app.command()
def delete(webhook_id: WebhookId) -> None:
    """Remove an endpoint; its pending deliveries go with it."""
    with session.client() as client:
        client.delete_webhook(webhook_id)
    output.out.print(f"Deleted endpoint {webhook_id}.")


@app.command("rotate-secret")
def rotate_secret(webhook_id: WebhookId, json: Json = False) -> None:
    """Print a new signing secret, once; the old one stops signing at once."""
    with session.client() as client:
        endpoint = client.rotate_webhook_secret(webhook_id)
    _secret(endpoint, json, "New secret of endpoint")


@app.command()
def deliveries(
    webhook_id: WebhookId, limit: Limit = None, cursor: Cursor = None, json: Json = False
) -> None:
    """An endpoint's delivery log, newest first: one line per attempt."""
    with session.client() as client:
        page = client.webhook_deliveries(webhook_id, limit=limit, cursor=cursor)
    if json:
        output.emit_json(page)
        return
    output.table(
        ["time", "task", "outcome"],
        ((a.at.strftime(DELIVERY_TIME), a.task_id, _outcome(a)) for a in page.items),
    )
    output.err.print(f"[dim]Endpoint {page.endpoint.id} is {page.endpoint.state}.[/dim]")
    output.next_page(page.next_cursor)


def _outcome(attempt: WebhookAttempt) -> str:
    """ "ready #1: 200 in 12 ms": one folded column, so the task's whole id fits at 80."""
    answer = attempt.status_code if attempt.status_code is not None else attempt.error or "none"
    event = attempt.event_type.removeprefix("task.")
    return f"{event} #{attempt.attempt}: {answer} in {attempt.latency_ms:.0f} ms"


def _secret(endpoint: WebhookCreated, json: bool, what: str) -> None:
    """The secret alone on stdout (for `$(…)`), the note on stderr."""
    if json:
        output.emit_json(endpoint)
        return
    output.out.print(endpoint.secret)
    output.err.print(
        f"[dim]{what} {endpoint.id} ({endpoint.url}). This is the only time the secret is "
        "shown: give it to your receiver, which checks each delivery's webhook-signature "
        "with it (inferlane.client.verify_webhook, or any Standard Webhooks library).[/dim]"
    )
