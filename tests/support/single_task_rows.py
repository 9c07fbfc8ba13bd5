"""A single task written straight into the tasks schema, for tests of the statements that
move it on (the relay's `queued`, a worker's start and finish) without the services."""

import uuid

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from services.tasks import lifecycle, messages, repository
from services.tasks.domain import Status, Task
from services.tasks.tables import task_chunks, tasks


async def single_task(engine: AsyncEngine, status: Status = Status.ACCEPTED) -> Task:
    """A single task in `status` with its one chunk, as CreateTask leaves it."""
    task_id = uuid.uuid4()
    async with engine.begin() as conn:
        await conn.execute(
            insert(tasks).values(
                id=task_id,
                owner_id=uuid.uuid4(),
                type="single",
                model="sentiment",
                status=status.value,
                input={"text": "Fine."},
                total=1,
                chunks_total=1,
            )
        )
        await conn.execute(
            insert(task_chunks).values(task_id=task_id, chunk_index=0, start_row=0, end_row=1)
        )
        task = await repository.get(conn, task_id)
    assert task is not None
    return task


async def relay_marks_queued(engine: AsyncEngine, task_id: uuid.UUID) -> None:
    """What the tasks relay writes once the task's work is on the queue."""
    async with engine.begin() as conn:
        await lifecycle.mark_queued(conn, [{messages.TASK_HEADER: str(task_id)}])
