"""Status changes together with their events, inside the caller's transaction.

Service and workers both end tasks; doing it here keeps "status changed" and "event in the
outbox" one commit, whoever does it.
"""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    BindParameter,
    ColumnElement,
    Insert,
    bindparam,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.outbox import enqueue, enqueue_with, event_params
from inferlane.common.outbox_relay import PublishedRider
from services.tasks import audit, messages, repository
from services.tasks.domain import Chunk, Progress, Result, Status, Task
from services.tasks.tables import outbox


def _queued_statement() -> Insert:
    """`queued` for the tasks whose ids are the parameter `queued_ids`, with their trail
    entries: one statement, built once (bind parameters)."""
    ids: BindParameter[Any] = bindparam("queued_ids", expanding=True)
    moved = repository.transition_statement(ids, Status.QUEUED).cte("moved")
    return audit.entries_for_moved(moved, audit.QUEUED)


_QUEUED = _queued_statement()


def _queued_params(published: list[dict[str, str]]) -> dict[str, Any] | None:
    """The tasks whose work messages are among `published`; None if there are none."""
    task_ids = {uuid.UUID(h[messages.TASK_HEADER]) for h in published if messages.TASK_HEADER in h}
    return {"queued_ids": sorted(task_ids)} if task_ids else None


# The tasks relay's rider: a task is `queued` in the statement that marks its work published.
QUEUED_WHEN_PUBLISHED = PublishedRider(
    statement=lambda marked: _QUEUED.add_cte(marked), params=_queued_params
)


async def mark_queued(conn: AsyncConnection, published: list[dict[str, str]]) -> None:
    """The tasks whose work reached the queue (by these headers) are queued now."""
    if (values := _queued_params(published)) is not None:
        await conn.execute(_QUEUED, values)  # one round trip


async def queue_first(conn: AsyncConnection, task: Task) -> None:
    """Before a worker starts a task: one it took up before the relay marked it queued is
    marked queued first, so the trail has `queued` exactly once whoever gets there first."""
    if task.status is Status.ACCEPTED:
        await mark_queued(conn, [{messages.TASK_HEADER: str(task.id)}])


async def finish(conn: AsyncConnection, task: Task, now: datetime) -> Task | None:
    """READY, once every chunk of a batch is counted; None if it ended otherwise meanwhile."""
    moved = await repository.transition(conn, [task.id], Status.READY)
    if not moved:
        return None
    await enqueue(conn, outbox, messages.COMPLETED, messages.completed(moved[0], now))
    p = moved[0].progress
    await audit.record(conn, task.id, audit.READY, done=p.done, failed=p.failed)
    return moved[0]


async def finish_single(
    conn: AsyncConnection,
    task: Task,
    chunk: Chunk,
    results: Sequence[Result],
    started_at: datetime,
    now: datetime,
    entries: Sequence[tuple[str, dict[str, Any]]],
) -> Task | None:
    """A single task's one chunk stored, the task counted and READY, its event in the
    outbox and its trail (`queued` if no relay marked it yet, `entries`, READY) as one
    statement. If it ended meanwhile (cancelled), it is only counted and gets `entries`.
    Returns the task now (READY or not), or None when the chunk was stored already or the
    task had ended before: then nothing was written."""
    failed = sum(1 for r in results if r.error_code is not None)
    done = Progress(len(results), task.progress.total, failed, started_at)
    event = messages.completed(replace(task, status=Status.READY, progress=done), now)
    summary = summary_of(results[0]) if results else None
    trail = [
        (audit.QUEUED, {}),
        *entries,
        (audit.READY, {"done": done.done, "failed": done.failed}),
    ]
    params = audit.entries_params(trail) | event_params([(messages.COMPLETED, event, None)])

    def riders(moved: CTE) -> list[Insert]:
        def ready() -> ColumnElement[bool]:
            return moved.c.status == literal_column(f"'{Status.READY.value}'")

        # `queued` only when this statement queued it (see repository.finish_single).
        queued = ready() & (moved.c.queued_at == moved.c.started_at)
        whens = [queued, *[None for _ in entries], ready()]
        completed = select(moved).where(ready()).subquery("completed")
        return [audit.entries_with(moved, whens), enqueue_with(outbox, 1, completed)]

    return await repository.finish_single(
        conn, chunk, results, started_at, summary, riders, params, shape=len(entries)
    )


async def fail(
    conn: AsyncConnection, task: Task, code: str, reason: str, now: datetime
) -> Task | None:
    moved = await repository.transition(
        conn, [task.id], Status.ERROR, error_code=code, error_message=reason
    )
    if not moved:
        return None
    await enqueue(conn, outbox, messages.FAILED, messages.failed(moved[0], code, reason, now))
    await audit.record(conn, task.id, audit.FAILED, code=code, reason=reason)
    return moved[0]


async def cancel(
    conn: AsyncConnection, task: Task, now: datetime, who: audit.Who = audit.NOBODY
) -> Task | None:
    moved = await repository.transition(conn, [task.id], Status.CANCELLED)
    if not moved:
        return None
    await enqueue(conn, outbox, messages.CANCELLED, messages.cancelled(moved[0], now))
    await audit.record(conn, task.id, audit.CANCELLED, who)
    return moved[0]


def summary_of(result: Result) -> dict[str, Any]:
    if result.error_code is not None:
        return {"error": {"code": result.error_code, "message": result.error_message}}
    if result.label is not None:
        return {"label": result.label, "scores": result.scores or {}}
    return {"raw": result.raw or {}}
