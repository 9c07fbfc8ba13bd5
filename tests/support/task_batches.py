"""A batch task made for a test and checked at its end: every row stored exactly once."""

import asyncio

from inferlane.tasks.v1 import tasks_types_pb2 as types
from tests.support import task_calls as calls
from tests.support import task_processes as procs
from tests.support.accounts import create_account
from tests.support.datasets import upload

ROWS = 3000  # fourteen chunks: three small first ones, then of 256


async def batch(stack, rows: int = ROWS):
    """A fresh owner's batch task over `rows` reviews: (tasks channel, owner, task)."""
    async with stack.channel(stack.auth) as auth, stack.channel(stack.datasets) as datasets:
        me = await create_account(auth)
        dataset = await upload(datasets, me.metadata, "reviews.csv", calls.reviews_csv(rows))
    tasks = stack.channel(stack.tasks)
    task = await calls.create_batch(tasks, me.metadata, dataset.id, column="review")
    return tasks, me, task


async def wait_partly_done(tasks, me, task_id: str) -> types.Task:
    while True:
        task = await calls.get(tasks, me.metadata, task_id)
        if task.progress.done > 0:
            assert task.progress.done < task.progress.total, "finished before the test could act"
            return task
        await asyncio.sleep(0.05)


async def assert_exactly_once(
    db: str, tasks, me, task_id: str, rows: int, timeout: float = 180
) -> None:
    done = await calls.wait_for(tasks, me.metadata, task_id, timeout=timeout)
    assert calls.status_name(done) == "TASK_STATUS_READY", done
    assert (done.progress.done, done.progress.total) == (rows, rows)
    count, indexes = await procs.stored_rows(db, task_id)
    assert count == rows and indexes == list(range(rows))
