"""A task's terminal event (from TASKS_EVENTS) becomes one delivery per target: each of the
owner's active endpoints. The body is built once, so every attempt sends the same bytes, and a
delivery is unique on (event, target), so a redelivered event adds nothing."""

import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.events.v1 import events_pb2
from services.tasks import messages, repository
from services.tasks.domain import Task
from services.tasks.webhooks.endpoints import ACTIVE
from services.tasks.webhooks.tables import deliveries, endpoints

TERMINAL: dict[str, tuple[Any, str]] = {
    messages.COMPLETED: (events_pb2.TaskCompleted, "task.ready"),
    messages.FAILED: (events_pb2.TaskFailed, "task.error"),
    messages.CANCELLED: (events_pb2.TaskCancelled, "task.cancelled"),
}
API = "/api/v1"
CALLBACK = "callback"  # the target of a task's own callback_url


def body(event_type: str, task: Task, at: datetime, public_url: str) -> bytes:
    """The JSON event: its type, when, and the task (counts, summary, error, links)."""
    path = f"{public_url.rstrip('/')}{API}/tasks/{task.id}"
    error = None
    if task.error_code is not None:
        error = {"code": task.error_code, "message": task.error_message or ""}
    p = task.progress
    data = {
        "id": str(task.id),
        "status": task.status.value,
        "model": task.model,
        "version": task.version,
        "summary": task.summary,
        "counts": {"done": p.done, "total": p.total, "failed": p.failed},
        "error": error,
        "links": {
            "self": path,
            "results": f"{path}/results",
            "export": f"{path}/results?format=csv",
        },
    }
    return orjson.dumps({"type": event_type, "timestamp": at.isoformat(), "data": data})


async def record(
    conn: AsyncConnection, subject: str, payload: bytes, now: datetime, public_url: str = ""
) -> int:
    """Insert the deliveries of one event; returns how many were new (0 for other events)."""
    if subject not in TERMINAL:
        return 0
    kind, event_type = TERMINAL[subject]
    event = kind.FromString(payload)
    task = await repository.get(conn, uuid.UUID(event.task_id))
    if task is None:  # deleted since: nothing left to tell
        return 0
    occurred_at = event.occurred_at.ToDatetime(tzinfo=now.tzinfo)
    e = endpoints.c
    targets: list[tuple[str, uuid.UUID | None, str]] = [
        (str(r.id), r.id, r.url)
        for r in await conn.execute(
            select(e.id, e.url).where(
                e.owner_id == task.owner_id, e.state == ACTIVE, e.created_at <= occurred_at
            )
        )
    ]
    if task.callback_url:
        targets.append((CALLBACK, None, task.callback_url))
    if not targets:
        return 0
    content = body(event_type, task, occurred_at, public_url)
    rows = [
        {
            "id": uuid.uuid4(),
            "event_id": uuid.UUID(event.event_id),
            "target": target,
            "endpoint_id": endpoint_id,
            "owner_id": task.owner_id,
            "task_id": task.id,
            "url": url,
            "event_type": event_type,
            "body": content,
            "next_attempt_at": now,
        }
        for target, endpoint_id, url in targets
    ]
    inserted = await conn.execute(
        insert(deliveries).values(rows).on_conflict_do_nothing().returning(deliveries.c.id)
    )
    return len(inserted.all())
