"""Retention: each task's results, exports and vectors are kept until its `expires_at`; a
janitor in the tasks service then deletes them and marks the task expired (its summary stays:
the label counts and failed count live beside the task, not in its results).

One transaction per batch: lock a bounded batch of due tasks (FOR UPDATE SKIP LOCKED, so
replicas share the work), delete their rows, mark them, write the audit entries, commit. A
janitor that dies mid-batch rolls back all of it: nothing is deleted before its task is
marked, and a marked task is never picked again, so nothing is deleted early or twice.
Exports are streamed from the results, never stored: deleting the results deletes them.
"""

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common import janitor
from inferlane.common.errors import INVALID_INPUT, Gone, InvalidInput
from services.tasks import audit
from services.tasks.domain import TERMINAL, Task
from services.tasks.tables import task_results, task_vectors, tasks
from services.tasks.vector_index import index_name

log = structlog.get_logger(__name__)

EXPIRED = "expired"


def expires_at(now: datetime, asked: int | None, default: int, most: int) -> datetime:
    """When a task created `now` expires: after the seconds asked for, or the default."""
    if asked is not None and not 1 <= asked <= most:
        raise InvalidInput(f"ttl_seconds must be from 1 to {most}", code=INVALID_INPUT)
    return now + timedelta(seconds=asked if asked is not None else default)


def check_live(task: Task) -> None:
    """Its results are still there; else 410 with code `expired`."""
    if task.expired_at is not None:
        raise Gone(
            f"the task's results expired at {task.expired_at.isoformat()}; its summary stays",
            code=EXPIRED,
        )


class Janitor(janitor.Janitor):
    """Options as janitor.Janitor's; `mid_batch` runs between deleting and marking."""

    def __init__(self, engine: AsyncEngine, **options: Any) -> None:
        super().__init__(**options)
        self._engine = engine

    async def sweep(self) -> int:
        """Expire one batch of due tasks; returns how many."""
        now = self._clock()
        due = self._due(
            tasks.c.id,
            tasks.c.expires_at,
            now,
            tasks.c.expired_at.is_(None),
            tasks.c.status.in_([s.value for s in TERMINAL]),
        )
        async with self._engine.begin() as conn:
            ids = list((await conn.execute(due)).scalars())
            if not ids:
                return 0
            results = await conn.execute(
                delete(task_results).where(task_results.c.task_id.in_(ids))
            )
            vectors = await conn.execute(
                delete(task_vectors).where(task_vectors.c.task_id.in_(ids))
            )
            for task_id in ids:  # its own HNSW index, if it had one (a name, never user text)
                await conn.execute(text(f"DROP INDEX IF EXISTS tasks.{index_name(task_id)}"))
            self._mid_batch(ids)
            await conn.execute(update(tasks).where(tasks.c.id.in_(ids)).values(expired_at=now))
            await audit.record(conn, ids, audit.EXPIRED)
        log.info(
            "tasks expired", tasks=len(ids), results=results.rowcount, vectors=vectors.rowcount
        )
        return len(ids)
