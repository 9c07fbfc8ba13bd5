"""Status changes together with their events, inside the caller's transaction.

Service and workers both end tasks; doing it here keeps "status changed" and "event in the
outbox" one commit, whoever does it.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.outbox import enqueue
from services.tasks import audit, messages, repository
from services.tasks.domain import Result, Status, Task
from services.tasks.tables import outbox


async def mark_queued(conn: AsyncConnection, published: list[dict[str, str]]) -> None:
    """Relay hook: the tasks whose work just reached the queue are queued now."""
    task_ids = {uuid.UUID(h[messages.TASK_HEADER]) for h in published if messages.TASK_HEADER in h}
    if not task_ids:
        return
    moved = repository.transition_statement(sorted(task_ids), Status.QUEUED).cte("moved")
    await conn.execute(audit.entries_for_moved(moved, audit.QUEUED))  # one round trip


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
    results: Sequence[Result],
    started_at: datetime,
    now: datetime,
    entries: Sequence[tuple[str, dict[str, Any]]],
) -> tuple[Task, bool]:
    """A single task whose one chunk the caller just stored: counted and READY, its event in
    the outbox, `entries` and READY in its trail — three statements. If it ended meanwhile
    (cancelled), it is only counted. Returns the task now, and whether it became READY."""
    summary = summary_of(results[0]) if results else None
    moved = await repository.finish_single(conn, task.id, results, started_at, summary)
    if moved is None:
        counted, _ = await repository.count_chunk(conn, task.id, results)
        await audit.record_events(conn, task.id, entries)
        return counted, False
    await enqueue(conn, outbox, messages.COMPLETED, messages.completed(moved, now))
    p = moved.progress
    ready = (audit.READY, {"done": p.done, "failed": p.failed})
    await audit.record_events(conn, task.id, [*entries, ready])
    return moved, True


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
