"""`inferlane tasks …` and `inferlane analyse`: submit, follow live, list, show, results, audit,
cancel."""

from pathlib import Path
from typing import Annotated, Literal

import typer

from inferlane.client import Client, Task

from . import exits, output, session

app = typer.Typer(help="Submit inference tasks and fetch their results.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]
Limit = Annotated[int | None, typer.Option(min=1, max=100, help="Items per page.")]
Cursor = Annotated[str | None, typer.Option(help="Page cursor from a previous listing.")]
Model = Annotated[str, typer.Option("--model", "-m", help="Model name (see `models list`).")]
CallbackUrl = Annotated[
    str | None,
    typer.Option(help="Also POST the finished task's event to this URL (unsigned)."),
]
Status = Literal["accepted", "queued", "running", "ready", "error", "cancelled"]


def _describe(task: Task) -> str:
    return f"{task.model} {task.status}"


def announce(task: Task) -> None:
    output.err.print(f"Task {task.id} {task.status}.")


def follow(client: Client, task: Task, announced: bool = False) -> Task:
    """Show the task's progress live until it finishes. Ctrl-C stops watching, not the task:
    from the moment the task is announced (`announced`), so its id is always printed."""
    try:
        if announced:
            announce(task)
        with output.task_bar() as bar:
            job = bar.add_task(
                _describe(task),
                total=task.progress.total or None,
                completed=task.progress.done,
                eta=output.eta_text(task.progress),
            )
            for event in client.watch(task.id):
                if event.progress is not None:
                    progress = event.progress
                    eta = output.eta_text(progress)
                    bar.update(job, completed=progress.done, total=progress.total, eta=eta)
                if event.task is not None:
                    task = event.task
                    bar.update(
                        job,
                        description=_describe(task),
                        completed=task.progress.done,
                        total=task.progress.total or None,
                        eta=output.eta_text(task.progress),
                    )
    except KeyboardInterrupt:
        output.err.print(
            f"\nDetached; task {task.id} goes on.\n"
            f"  follow it:   inferlane tasks watch {task.id}\n"
            f"  results:     inferlane tasks results {task.id} --format csv -o results.csv\n"
            f"  cancel it:   inferlane tasks cancel {task.id}"
        )
        raise typer.Exit(exits.INTERRUPTED) from None
    return task


def finish(task: Task, json: bool) -> None:
    if json:
        output.emit_json(task)
    else:
        output.summary(task)
    if task.status != "ready":
        raise typer.Exit(exits.TASK_FAILED)


@app.command()
def submit(
    model: Model = "sentiment",
    dataset: Annotated[str | None, typer.Option(help="Id of one of your datasets.")] = None,
    file: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="Upload this file and run on it instead."),
    ] = None,
    column: Annotated[
        str | None, typer.Option(help="Column to read (default: the detected text column).")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N rows.")] = None,
    version: Annotated[
        str | None, typer.Option(help="Model version (default: the newest ready one).")
    ] = None,
    callback_url: CallbackUrl = None,
    wait: Annotated[bool, typer.Option(help="Follow the task until it finishes.")] = True,
    json: Json = False,
) -> None:
    """Run a model over a dataset column and follow its progress (Ctrl-C detaches)."""
    if (dataset is None) == (file is None):
        raise typer.BadParameter("give exactly one of --dataset ID or --file PATH")
    with session.client() as client:
        if file is not None:
            task = client.submit_batch_file(
                file,
                model,
                column=column,
                limit=limit,
                version=version,
                callback_url=callback_url,
            )
        else:
            assert dataset is not None
            task = client.submit_batch(
                model,
                dataset,
                column=column,
                limit=limit,
                version=version,
                callback_url=callback_url,
            )
        if not wait:
            if json:
                output.emit_json(task)
            else:
                announce(task)
            return
        task = follow(client, task, announced=not json)
    finish(task, json)


@app.command()
def watch(task_id: str, json: Json = False) -> None:
    """Follow a task live until it finishes (Ctrl-C detaches)."""
    with session.client() as client:
        task = follow(client, client.get_task(task_id))
    finish(task, json)


@app.command("list")
def list_(
    status: Annotated[Status | None, typer.Option(help="Only tasks in this status.")] = None,
    model: Annotated[str | None, typer.Option(help="Only tasks of this model.")] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Only tasks over this dataset (its id).")
    ] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Also one-off `analyse` runs (hidden, as in the console).")
    ] = False,
    limit: Limit = None,
    cursor: Cursor = None,
    json: Json = False,
) -> None:
    """Your batch tasks, newest first (--all adds one-off analyses)."""
    with session.client() as client:
        page = client.list_tasks(
            status=status, model=model, dataset_id=dataset, limit=limit, cursor=cursor
        )
    shown = page.items if all_ else [t for t in page.items if t.type != "single"]
    hidden = len(page.items) - len(shown)
    if json:
        output.emit_json(page.model_copy(update={"items": shown}))
        return
    output.task_rows(shown)
    if hidden:
        output.err.print(f"[dim]{hidden} one-off analyses hidden; --all shows them.[/dim]")
    output.next_page(page.next_cursor)


@app.command()
def show(task_id: str, json: Json = False) -> None:
    """A task's status, progress and summary."""
    with session.client() as client:
        task = client.get_task(task_id)
    if json:
        output.emit_json(task)
        return
    output.task_rows([task])
    output.out.print(
        f"A {task.type} task"
        + (f" over dataset {task.dataset_id}" if task.dataset_id else "")
        + "."
    )
    output.summary(task)


@app.command()
def cancel(task_id: str, json: Json = False) -> None:
    """Cancel a task that has not finished."""
    with session.client() as client:
        task = client.cancel_task(task_id)
    if json:
        output.emit_json(task)
    else:
        output.out.print(f"Task {task.id} {task.status}.")


@app.command()
def results(
    task_id: str,
    out: Annotated[
        Path | None,
        typer.Option("--output", "-o", dir_okay=False, help="Export every row to this file."),
    ] = None,
    format: Annotated[
        Literal["csv", "jsonl"] | None,
        typer.Option("--format", "-f", help="Export format (default: from -o's suffix, or csv)."),
    ] = None,
    limit: Limit = None,
    cursor: Cursor = None,
    json: Json = False,
) -> None:
    """A page of results, or with -o the whole export (CSV or JSONL) streamed to a file."""
    with session.client() as client:
        if out is not None:
            kind = format or ("jsonl" if out.suffix.lower() == ".jsonl" else "csv")
            with output.transfer_bar() as bar:
                job = bar.add_task(f"Exporting to {out.name}", total=None)
                size = client.export_results(
                    task_id,
                    out,
                    format=kind,
                    progress=lambda got, total: bar.update(job, completed=got, total=total or None),
                )
            if json:
                output.emit_json({"path": str(out), "format": kind, "bytes": size})
            else:
                output.out.print(f"Wrote {size} bytes of {kind} to {out}.")
            return
        page = client.results(task_id, limit=limit, cursor=cursor)
    if json:
        output.emit_json(page)
        return
    output.table(
        ["row", "input", "label", "score / error"],
        (
            (
                r.row_index + 1,  # numbered from 1, like exports and the console
                _clip(" ".join(str(v) for v in r.input.values())),
                r.label,
                r.error.message if r.error else f"{max(r.scores.values()):.3f}" if r.scores else "",
            )
            for r in page.items
        ),
    )
    output.next_page(page.next_cursor)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def analyse(
    text: Annotated[str, typer.Argument(help="The text to classify (at most 512 characters).")],
    model: Model = "sentiment",
    callback_url: CallbackUrl = None,
    json: Json = False,
) -> None:
    """Classify one text now: its label and the score of each label."""
    with session.client() as client, output.err.status("Analysing…"):
        submitted = client.submit_single(model, {"text": text}, callback_url=callback_url)
        task = client.wait(submitted.id)
    finish(task, json)


@app.command()
def audit(task_id: str, limit: Limit = None, cursor: Cursor = None, json: Json = False) -> None:
    """A task's audit trail, oldest first: who created it and how, its chunks' tries, its end."""
    with session.client() as client:
        page = client.task_audit(task_id, limit=limit, cursor=cursor)
    if json:
        output.emit_json(page)
        return
    output.table(
        ["when", "event", "by", "details"],
        (
            (
                e.occurred_at.isoformat(timespec="seconds"),
                e.event,
                str(e.actor_id or ""),
                _clip(", ".join(f"{k}={v}" for k, v in e.details.items())),
            )
            for e in page.items
        ),
    )
    output.next_page(page.next_cursor)
