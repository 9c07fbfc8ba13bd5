"""Following a task (services/tasks/watch.py) against real PostgreSQL and NATS: the watcher
subscribes to a task's nudges before its first look, so a task that ends right after that look
is seen at once, not a poll interval later."""

import asyncio

from sqlalchemy import text

from inferlane.common.db import make_engine
from inferlane.common.nats import NatsConnection
from services.tasks import repository
from services.tasks.domain import Status
from services.tasks.watch import Watcher
from tests.support.task_rows import insert_running_task

NEVER = 3600.0  # the poll interval: only a nudge can wake the watcher within the test


async def test_a_task_that_ends_right_after_the_first_look_is_seen_at_once(migrated_db, nats_url):
    engine = make_engine(migrated_db)
    nats = NatsConnection(nats_url, name="watch-test")
    nats.start()
    await nats.wait_connected(30)
    watcher = Watcher(engine, nats, poll_seconds=NEVER)
    try:
        async with engine.begin() as conn:
            task_id = await insert_running_task(conn, type_="single")

        async def look_then_the_task_ends():
            async with engine.connect() as conn:
                seen = await repository.get(conn, task_id)
            async with engine.begin() as conn:  # the worker finishes it and nudges
                await conn.execute(
                    text("UPDATE tasks.tasks SET status = 'ready', done = 1 WHERE id = :t"),
                    {"t": task_id},
                )
                ended = await repository.get(conn, task_id)
            await watcher.nudge(ended)
            return seen

        async def updates():
            return [u async for u in watcher.follow(task_id, look_then_the_task_ends)]

        seen = await asyncio.wait_for(updates(), 60)  # without the early subscription: 3600 s
    finally:
        await nats.close()
        await engine.dispose()
    assert [u.status for u in seen] == [Status.RUNNING, Status.READY]
