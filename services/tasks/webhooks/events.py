"""A task's terminal event (from TASKS_EVENTS) becomes one delivery per target: each of the
owner's active endpoints. The body is built once, so every attempt sends the same bytes, and a
delivery is unique on (event, target), so a redelivered event adds nothing."""

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.events.v1 import events_pb2
from services.tasks import messages, repository
from services.tasks.domain import Task
from services.tasks.tables import tasks
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


def _endpoints_told(owner_id: Any, occurred_at: Any) -> ColumnElement[bool]:
    """The endpoints an event of `owner_id`'s at `occurred_at` goes to: active ones
    registered by then."""
    e = endpoints.c
    return and_(e.owner_id == owner_id, e.state == ACTIVE, e.created_at <= occurred_at)


# Whether an event has anyone to tell: an active endpoint of the owner registered by then, or
# the task's own callback. Built once (bind parameters), read without a transaction.
_ANY_TARGET = select(
    or_(
        exists().where(_endpoints_told(bindparam("owner_id"), bindparam("occurred_at"))),
        exists().where(tasks.c.id == bindparam("task_id"), tasks.c.callback_url.is_not(None)),
    )
)


async def anyone_to_tell(conn: AsyncConnection, subject: str, payload: bytes) -> bool:
    """False when a terminal event has no target, so most events (owners without webhooks)
    cost one read instead of record()'s transaction; True when record() must look."""
    if subject not in TERMINAL:
        return False
    event = TERMINAL[subject][0].FromString(payload)
    if not event.owner_id:  # not in the event: let record() read the task
        return True
    values = {
        "owner_id": uuid.UUID(event.owner_id),
        "task_id": uuid.UUID(event.task_id),
        "occurred_at": event.occurred_at.ToDatetime(tzinfo=UTC),
    }
    return bool(await conn.scalar(_ANY_TARGET, values))


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
    told = select(endpoints.c.id, endpoints.c.url).where(
        _endpoints_told(task.owner_id, occurred_at)
    )
    targets: list[tuple[str, uuid.UUID | None, str]] = [
        (str(r.id), r.id, r.url) for r in await conn.execute(told)
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
