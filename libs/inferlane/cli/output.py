"""Everything the CLI prints: tables and summaries for people (stdout), JSON for scripts
(stdout, nothing else on it), progress and errors on stderr."""

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from inferlane.client import ApiError, BatchSummary, InferlaneError, SingleSummary, Task
from inferlane.client.models import Evaluation
from inferlane.client.models import Progress as TaskProgress

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def emit_json(value: Any) -> None:
    """One JSON document on stdout, not touched by rich (no wrapping, no markup)."""
    sys.stdout.write(json.dumps(_plain(value), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# Columns printed whole whatever the terminal's width: an id is copied into the next command,
# and a time is read at a glance. The other columns shrink and wrap instead.
WHOLE = frozenset({"id", "task", "created", "expires", "time"})
TIME = "%Y-%m-%d %H:%M"


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> None:
    cells = [["" if cell is None else str(cell) for cell in row] for row in rows]
    grid = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for index, header in enumerate(headers):
        if header in WHOLE:
            widest = max((len(row[index]) for row in cells), default=0)
            grid.add_column(header, no_wrap=True, width=max(widest, len(header)))
        else:
            grid.add_column(header, overflow="fold", ratio=1)
    for row in cells:
        grid.add_row(*row)
    out.print(grid)


def next_page(cursor: str | None) -> None:
    if cursor:
        err.print(f"[dim]More: --cursor {cursor}[/dim]")


def problem(exc: InferlaneError, *, signing_in: bool = False) -> None:
    """The error as a person reads it: the sentence first (the HTTP status only after it, for
    whoever debugs), and the request id to quote. `signing_in`: the command was the sign-in
    itself, so suggesting `inferlane login` would send the person in a circle."""
    if isinstance(exc, ApiError):
        err.print(
            f"[bold red]Error:[/bold red] {sentence(exc.detail)} [dim](HTTP {exc.status})[/dim]"
        )
        if exc.status == 401 and not signing_in:
            err.print("Sign in with `inferlane login`, or set INFERLANE_API_KEY.")
        if exc.retry_after is not None:
            err.print(f"Retry after {exc.retry_after:g} s.")
        if exc.request_id:
            err.print(f"[dim]request id: {exc.request_id}[/dim]")
    else:
        err.print(f"[bold red]Error:[/bold red] {exc}")


def sentence(text: str) -> str:
    """ "invalid email or password" → "Invalid email or password."."""
    text = text.strip()
    if not text:
        return "The request failed."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def percent(value: float) -> str:
    return f"{value:.1f}%"


def summary(task: Task) -> None:
    """A finished task for people: the label and scores, or counts per label, or the error."""
    if task.error is not None:
        err.print(f"[red]Task {task.id} {task.status}: {task.error.message}[/red]")
    elif task.status != "ready":
        err.print(f"[yellow]Task {task.id} {task.status}.[/yellow]")
    if task.version:
        err.print(f"[dim]{task.model} version {task.version}[/dim]")
    if isinstance(task.summary, SingleSummary):
        out.print(f"[bold]{task.summary.label or '-'}[/bold]")
        ranked = sorted(task.summary.scores.items(), key=lambda kv: -kv[1])
        table(["label", "score"], ((label, f"{score:.4f}") for label, score in ranked))
    elif isinstance(task.summary, BatchSummary):
        counts, shares = task.summary.counts, task.summary.percentages
        rows = sorted(counts, key=lambda label: -counts[label])
        out.print(f"Task {task.id}: {task.progress.done} rows, {task.summary.failed} failed")
        table(
            ["label", "rows", "share"],
            ((label, counts[label], percent(shares.get(label, 0.0))) for label in rows),
        )
        if task.summary.evaluation is not None:
            evaluation(task.summary.evaluation)


def evaluation(e: Evaluation) -> None:
    """Accuracy, macro-F1, the per-label figures and the confusion matrix."""
    out.print(
        f"Evaluated {e.evaluated} rows against {e.label_column!r}: accuracy {e.accuracy:.4f}, "
        f"macro-F1 {e.macro_f1:.4f} ({e.unknown_labels} with another label, "
        f"{e.unlabelled} without one, not compared)"
    )
    table(
        ["label", "precision", "recall", "F1", "support"],
        (
            (c.label, f"{c.precision:.4f}", f"{c.recall:.4f}", f"{c.f1:.4f}", c.support)
            for c in e.per_class
        ),
    )
    table(
        ["expected \\ predicted", *e.labels],
        ((label, *row) for label, row in zip(e.labels, e.confusion_matrix, strict=True)),
        title="Confusion matrix",
    )


def task_rows(tasks: Iterable[Task]) -> None:
    # No type column: one-off analyses are hidden unless asked for, and `tasks show` says it.
    table(
        ["id", "dataset", "model", "version", "status", "rows", "created"],
        (
            (
                t.id,
                t.dataset_name or "",
                t.model,
                t.version or "",
                t.status,
                f"{t.progress.done}/{t.progress.total}",
                t.created_at.strftime(TIME),
            )
            for t in tasks
        ),
    )


def task_bar() -> Progress:
    """Add tasks to it with an `eta` field (see eta_text)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[eta]}"),
        console=err,
    )


def eta_text(progress: TaskProgress, now: datetime | None = None) -> str:
    """ "N rows/s, about M min left" while the task has a rate (the server's), else ""."""
    if not progress.rows_per_second or progress.estimated_completion is None:
        return ""
    rate = progress.rows_per_second
    per_second = f"{rate:,.0f}" if rate >= 10 else f"{rate:.1f}"
    seconds = (progress.estimated_completion - (now or datetime.now(UTC))).total_seconds()
    minutes = round(seconds / 60)
    left = f"about {minutes:,} min left" if minutes >= 1 else "less than a minute left"
    return f"{per_second} rows/s, {left}"


def transfer_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TransferSpeedColumn(),
        console=err,
    )


JSON_HELP = "Print JSON (the API's shapes) on stdout, for scripts."
