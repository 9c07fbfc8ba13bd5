"""The relay (work published → `queued`) and a worker (work taken up → `running`) race; the
trail must say `queued` exactly once, before the task runs, whichever wins."""

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from inferlane.common.db import psycopg_url
from services.tasks import audit, lifecycle, repository
from services.tasks.domain import Status
from tests.support.single_task_rows import relay_marks_queued, single_task


@pytest.fixture
async def engine(migrated_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(psycopg_url(migrated_db))
    yield engine
    await engine.dispose()


async def _events(engine: AsyncEngine, task_id: uuid.UUID) -> list[str]:
    async with engine.connect() as conn:
        return [e.event for e in await audit.page(conn, task_id, 0, 100)]


async def _worker_starts(engine: AsyncEngine, task_id: uuid.UUID) -> None:
    async with engine.begin() as conn:
        task = await repository.get(conn, task_id)
        assert task is not None
        await lifecycle.queue_first(conn, task)  # what the worker does before it starts one
        await repository.transition(conn, [task.id], Status.RUNNING)


@pytest.mark.parametrize("worker_first", [True, False])
async def test_queued_is_in_the_trail_once_whoever_wins_the_race(
    engine: AsyncEngine, worker_first: bool
) -> None:
    task_id = (await single_task(engine)).id
    if worker_first:
        await _worker_starts(engine, task_id)
        await relay_marks_queued(engine, task_id)  # too late: the task runs already
    else:
        await relay_marks_queued(engine, task_id)
        await _worker_starts(engine, task_id)
    assert await _events(engine, task_id) == [audit.QUEUED]
    async with engine.connect() as conn:
        task = await repository.get(conn, task_id)
    assert task is not None and task.status is Status.RUNNING
