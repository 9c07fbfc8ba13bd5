"""`inferlane datasets …`: upload, list, show, delete."""

from pathlib import Path
from typing import Annotated

import typer

from . import output, session

app = typer.Typer(help="Upload and manage datasets (CSV, TSV, JSON, JSONL).", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
Limit = Annotated[int | None, typer.Option(min=1, max=100, help="Items per page.")]
Cursor = Annotated[str | None, typer.Option(help="Page cursor from a previous listing.")]


@app.command()
def upload(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="File to upload.")
    ],
    name: Annotated[str | None, typer.Option(help="Display name (default: file name).")] = None,
    json: Json = False,
) -> None:
    """Upload a file, streamed, with a progress bar."""
    with session.client() as client, output.transfer_bar() as bar:
        job = bar.add_task(f"Uploading {file.name}", total=file.stat().st_size or None)
        dataset = client.upload_dataset(
            file, name=name, progress=lambda sent, total: bar.update(job, completed=sent)
        )
    if json:
        output.emit_json(dataset)
        return
    columns = ", ".join(f"{c.name} ({c.type})" for c in dataset.columns)
    output.out.print(f"Uploaded [bold]{dataset.name}[/bold]: {dataset.rows} rows, {columns}")
    output.out.print(f"id {dataset.id}")


@app.command("list")
def list_(limit: Limit = None, cursor: Cursor = None, json: Json = False) -> None:
    """Your datasets, newest first."""
    with session.client() as client:
        page = client.list_datasets(limit=limit, cursor=cursor)
    if json:
        output.emit_json(page)
        return
    output.table(
        ["id", "name", "format", "rows", "text column", "created"],
        (
            (d.id, d.name, d.format, d.rows, d.text_column, d.created_at.strftime(output.TIME))
            for d in page.items
        ),
    )
    output.next_page(page.next_cursor)


@app.command()
def show(dataset_id: str, json: Json = False) -> None:
    """A dataset's metadata, columns and first rows."""
    with session.client() as client:
        dataset = client.get_dataset(dataset_id)
    if json:
        output.emit_json(dataset)
        return
    output.out.print(
        f"[bold]{dataset.name}[/bold] {dataset.format}, {dataset.rows} rows, "
        f"{dataset.size_bytes} bytes, text column {dataset.text_column or '-'}"
    )
    names = [c.name for c in dataset.columns]
    output.table(names, ([row.get(n) for n in names] for row in dataset.preview[:10]))


@app.command()
def delete(dataset_id: str) -> None:
    """Delete a dataset and its file."""
    with session.client() as client:
        client.delete_dataset(dataset_id)
    output.out.print(f"Deleted {dataset_id}.")


@app.command()
def download(
    dataset_id: str,
    out: Annotated[Path, typer.Option("--output", "-o", dir_okay=False, help="Save it here.")],
) -> None:
    """Save a dataset's file (as stored: UTF-8, gzip inflated)."""
    with session.client() as client, output.transfer_bar() as bar:
        job = bar.add_task(f"Downloading to {out.name}", total=None)
        size = client.download_dataset(
            dataset_id,
            out,
            progress=lambda got, total: bar.update(job, completed=got, total=total or None),
        )
    output.out.print(f"Wrote {size} bytes to {out}.")


@app.command()
def share(
    dataset_id: str,
    days: Annotated[int, typer.Option(min=1, max=7, help="Days the link works.")] = 7,
    json: Json = False,
) -> None:
    """Make a read-only link that needs no sign-in (a page in a browser, JSON for scripts)."""
    with session.client() as client:
        link = client.create_share(dataset_id, expires_in=days * 86400)
    if json:
        output.emit_json(link)
        return
    output.out.print(link.url)
    output.err.print(f"[dim]Link {link.id}, expires {link.expires_at:{output.TIME}}.[/dim]")


@app.command()
def shares(dataset_id: str, json: Json = False) -> None:
    """The dataset's links that still work, to revoke."""
    with session.client() as client:
        links = client.list_shares(dataset_id)
    if json:
        output.emit_json({"items": links})
        return
    output.table(["id", "expires"], ((s.id, s.expires_at.strftime(output.TIME)) for s in links))


@app.command()
def unshare(dataset_id: str, share_id: str) -> None:
    """Revoke a share link: it stops working at once."""
    with session.client() as client:
        client.revoke_share(dataset_id, share_id)
    output.out.print(f"Revoked link {share_id}.")
