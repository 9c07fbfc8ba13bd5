"""A single task's run is finished by one statement (lifecycle.finish_single): the chunk's
claim, its result, the counters, READY, the `completed` event and the trail together. These
hold what the transaction of several statements did: each row and event exactly once, the
trail's `queued` exactly once whoever wins the race with the relay, and a task cancelled
meanwhile only counted."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from inferlane.common.db import autocommit, psycopg_url
from services.tasks import audit, lifecycle, messages
from services.tasks.domain import Chunk, Result, Status, Task
from services.tasks.tables import outbox, task_results, tasks
from tests.support.single_task_rows import relay_marks_queued, single_task

ENTRIES = [(audit.CHUNK_STARTED, {"chunk": 0}), (audit.CHUNK_FINISHED, {"chunk": 0, "rows": 1})]
RESULT = Result(0, {"text": "Fine."}, "positive", {"positive": 0.9}, None, None, None)


@pytest.fixture
async def engine(migrated_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(psycopg_url(migrated_db))
    yield engine
    await engine.dispose()


async def _finish(engine: AsyncEngine, task: Task, picked_up: datetime) -> Task | None:
    async with autocommit(engine).connect() as conn:
        return await lifecycle.finish_single(
            conn, task, Chunk(task.id, 0, 0, 1), [RESULT], picked_up, picked_up, ENTRIES
        )


async def _trail(engine: AsyncEngine, task_id: uuid.UUID) -> list[str]:
    async with engine.connect() as conn:
        return [e.event for e in await audit.page(conn, task_id, 0, 100)]


async def _count(engine: AsyncEngine, table: Table, task_id: uuid.UUID) -> int:
    """The task's rows in `table`; in the outbox, every `completed` event (it has no task
    column: the tests compare counts before and after)."""
    if "task_id" in table.c:
        stmt = select(func.count()).where(table.c.task_id == task_id)
    else:
        stmt = select(func.count()).where(table.c.subject == messages.COMPLETED)
    async with engine.connect() as conn:
        return int((await conn.execute(stmt)).scalar_one())


@pytest.mark.parametrize("worker_first", [True, False])
async def test_one_statement_finishes_a_single_task_with_queued_once(
    engine: AsyncEngine, worker_first: bool
) -> None:
    task = await single_task(engine)
    picked_up = datetime.now(UTC) - timedelta(milliseconds=5)
    completed_before = await _count(engine, outbox, task.id)
    if not worker_first:
        await relay_marks_queued(engine, task.id)
    finished = await _finish(engine, task, picked_up)
    if worker_first:
        await relay_marks_queued(engine, task.id)  # too late: the task is ready already

    assert finished is not None and finished.status is Status.READY
    assert finished.progress.done == 1 and finished.progress.failed == 0
    assert finished.summary == {"label": "positive", "scores": {"positive": 0.9}}
    assert finished.started_at == picked_up and finished.finished_at is not None
    # Queued when the relay marked it, or, taken up first, when the worker took it up.
    assert finished.queued_at is not None
    assert (finished.queued_at == picked_up) is worker_first
    assert await _trail(engine, task.id) == [
        audit.QUEUED,
        audit.CHUNK_STARTED,
        audit.CHUNK_FINISHED,
        audit.READY,
    ]
    assert await _count(engine, task_results, task.id) == 1
    assert await _count(engine, outbox, task.id) == completed_before + 1


async def test_a_redelivered_single_chunk_writes_nothing(engine: AsyncEngine) -> None:
    task = await single_task(engine, Status.QUEUED)
    picked_up = datetime.now(UTC)
    assert await _finish(engine, task, picked_up) is not None
    trail = await _trail(engine, task.id)
    completed = await _count(engine, outbox, task.id)

    assert await _finish(engine, task, picked_up) is None
    assert await _trail(engine, task.id) == trail
    assert await _count(engine, task_results, task.id) == 1
    assert await _count(engine, outbox, task.id) == completed


async def test_a_single_task_cancelled_before_its_result_gets_none(engine: AsyncEngine) -> None:
    task = await single_task(engine, Status.QUEUED)
    completed = await _count(engine, outbox, task.id)
    async with engine.begin() as conn:
        await conn.execute(
            update(tasks).where(tasks.c.id == task.id).values(status=Status.CANCELLED.value)
        )
    assert await _finish(engine, task, datetime.now(UTC)) is None
    assert await _count(engine, task_results, task.id) == 0
    assert await _trail(engine, task.id) == []
    assert await _count(engine, outbox, task.id) == completed


async def test_a_single_task_cancelled_while_it_finishes_is_only_counted(
    engine: AsyncEngine,
) -> None:
    """The cancel commits after the statement's snapshot, before its UPDATE of the task: the
    UPDATE then sees the cancelled row (READ COMMITTED), counts it and leaves its status."""
    task = await single_task(engine, Status.QUEUED)
    completed = await _count(engine, outbox, task.id)
    async with engine.connect() as blocker:
        # Hold the task row as a cancel in flight does, then commit the cancel while the
        # finishing statement waits for that lock.
        await blocker.execute(
            update(tasks).where(tasks.c.id == task.id).values(status=Status.CANCELLED.value)
        )
        finishing = asyncio.create_task(_finish(engine, task, datetime.now(UTC)))
        await _until_waiting_on_a_lock(engine)
        await blocker.commit()
        finished = await finishing

    assert finished is not None and finished.status is Status.CANCELLED
    assert finished.progress.done == 1 and finished.summary is None
    assert await _trail(engine, task.id) == [audit.CHUNK_STARTED, audit.CHUNK_FINISHED]
    assert await _count(engine, task_results, task.id) == 1
    assert await _count(engine, outbox, task.id) == completed


async def _until_waiting_on_a_lock(engine: AsyncEngine) -> None:
    for _ in range(3000):  # a condition, not a timing: a loaded machine only takes longer
        async with engine.connect() as conn:
            found = (
                await conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                )
            ).scalar_one()
        if found:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the finishing statement never waited for the cancel's lock")
