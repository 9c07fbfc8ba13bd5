"""A task's audit trail: one append-only row per thing that happened to it, and who did it.

Rows are written in the transaction of the change they describe (created, queued, a chunk
finished, cancelled, ...), beside the outbox event of that change, so the trail holds an entry
exactly when the change happened, even across crashes. The table refuses UPDATE and DELETE
(migration 0007's trigger). Read newest last, paged by the row's sequence number.
"""

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Insert,
    bindparam,
    insert,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common import principal, request_id
from services.tasks.tables import task_audit

CREATED, QUEUED, RESUMED = "created", "queued", "resumed"
CHUNK_STARTED, CHUNK_FINISHED = "chunk_started", "chunk_finished"
CHUNK_RETRIED, CHUNK_DEAD_LETTERED = "chunk_retried", "chunk_dead_lettered"
READY, FAILED, CANCELLED, EXPORTED = "ready", "error", "cancelled", "exported"
WEBHOOK_DELIVERED, WEBHOOK_FAILED = "webhook_delivered", "webhook_failed"
EXPIRED = "expired"

# This process, as a chunk's entries name their worker: host and pid tell replicas apart.
WORKER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Entry:
    seq: int
    task_id: uuid.UUID
    event: str
    at: datetime
    actor_id: uuid.UUID | None
    details: dict[str, Any]


@dataclass(frozen=True)
class Who:
    """Who asked for a change: the user, and how (request id, API key, client program)."""

    actor_id: uuid.UUID | None
    details: dict[str, Any]


NOBODY = Who(None, {})


def caller(client: str | None = None) -> Who:
    """The caller of the current request: the user, how they signed in (an API key, a
    service account acting for them), the request id, and the client program."""
    found = principal.current_or_none()
    details: dict[str, Any] = {"request_id": request_id.current(), "client": client or None}
    if found is None:
        return Who(None, details)
    details |= {"api_key_id": found.api_key_id, "service_account": found.actor}
    return Who(uuid.UUID(found.user_id), details)


def entry(task_id: uuid.UUID, event: str, **details: Any) -> Insert:
    """One entry with no caller (a worker's) as a statement, for a caller that sends it with
    more in one round trip (a CTE)."""
    clean = {k: v for k, v in details.items() if v is not None}
    return insert(task_audit).values(task_id=task_id, event=event, actor_id=None, details=clean)


def entries_for_moved(moved: CTE, event: str) -> Insert:
    """One entry with no caller and no details for each task a status change's CTE (an
    UPDATE … RETURNING id) moved: the change and its entries are then one round trip."""
    rows = select(moved.c.id, literal(event))  # actor and details: their defaults
    return insert(task_audit).from_select(["task_id", "event"], rows).add_cte(moved)


def entry_with(written: CTE) -> Insert:
    """One entry for the task `written` (a CTE: an INSERT … RETURNING id that may insert
    nothing) adds, in the same statement: none if it added none. Built once; run with
    `entry_params`."""
    rows = select(
        written.c.id,
        bindparam("entry_event", type_=task_audit.c.event.type),
        bindparam("entry_actor", type_=task_audit.c.actor_id.type),
        bindparam("entry_details", type_=task_audit.c.details.type),
    )
    return insert(task_audit).from_select(["task_id", "event", "actor_id", "details"], rows)


def entry_params(event: str, who: Who = NOBODY, **details: Any) -> dict[str, Any]:
    clean = {k: v for k, v in (who.details | details).items() if v is not None}
    return {"entry_event": event, "entry_actor": who.actor_id, "entry_details": clean}


def entries_with(written: CTE, whens: Sequence[ColumnElement[bool] | None]) -> Insert:
    """Entries with no caller (a worker's) for the task `written` (a CTE of the same
    statement: an UPDATE … RETURNING) changed, in order, one per `whens` item: written only
    where that condition on `written`'s row holds (None: always). Built once; run with
    `entries_params`."""
    rows = union_all(
        *[
            select(
                written.c.id.label("task_id"),
                literal_column(str(position)).label("position"),
                bindparam(f"entries_{position}_event", type_=task_audit.c.event.type).label(
                    "event"
                ),
                bindparam(f"entries_{position}_details", type_=task_audit.c.details.type).label(
                    "details"
                ),
            ).where(when if when is not None else true())
            for position, when in enumerate(whens)
        ]
    ).subquery("entries")
    ordered = select(rows.c.task_id, rows.c.event, rows.c.details).order_by(rows.c.position)
    return insert(task_audit).from_select(["task_id", "event", "details"], ordered)


def entries_params(events: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The parameters of `entries_with(…)` for these (event, details), in order."""
    params: dict[str, Any] = {}
    for position, (event, details) in enumerate(events):
        params[f"entries_{position}_event"] = event
        params[f"entries_{position}_details"] = {k: v for k, v in details.items() if v is not None}
    return params


async def record(
    conn: AsyncConnection,
    task_ids: uuid.UUID | list[uuid.UUID],
    event: str,
    who: Who = NOBODY,
    **details: Any,
) -> None:
    """Append one entry per task, in the caller's transaction (None details are left out)."""
    ids = task_ids if isinstance(task_ids, list) else [task_ids]
    if not ids:
        return
    clean = {k: v for k, v in (who.details | details).items() if v is not None}
    actor_id = who.actor_id
    await conn.execute(
        insert(task_audit),
        [{"task_id": i, "event": event, "actor_id": actor_id, "details": clean} for i in ids],
    )


async def record_events(
    conn: AsyncConnection, task_id: uuid.UUID, events: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """Several entries of one task, in this order and with no caller (a worker's), in one
    multi-row INSERT in the caller's transaction: one round trip, not one per entry."""
    if not events:
        return
    rows = [
        {
            "task_id": task_id,
            "event": event,
            "actor_id": None,
            "details": {k: v for k, v in details.items() if v is not None},
        }
        for event, details in events
    ]
    await conn.execute(insert(task_audit).values(rows))


async def page(conn: AsyncConnection, task_id: uuid.UUID, after: int, limit: int) -> list[Entry]:
    a = task_audit.c
    stmt = (
        select(task_audit).where(a.task_id == task_id, a.seq > after).order_by(a.seq).limit(limit)
    )
    return [
        Entry(r.seq, r.task_id, r.event, r.at, r.actor_id, dict(r.details))
        for r in await conn.execute(stmt)
    ]
