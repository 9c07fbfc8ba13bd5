"""Following a task (services/tasks/watch.py) against real PostgreSQL and NATS: the watcher
subscribes to a task's nudges before its first look, so a task that ends right after that look
is seen at once, not a poll interval later."""

import asyncio

from sqlalchemy import event, text

from inferlane.common.db import make_engine
from inferlane.common.nats import NatsConnection
from services.tasks import repository
from services.tasks.domain import Status
from services.tasks.watch import Watcher
from tests.support.task_rows import insert_running_task
from tests.support.waiting import eventually

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


FOLLOWED = 40


async def test_followers_are_polled_by_one_read_for_all_and_each_sees_its_own_change(
    migrated_db,
):
    """Without NATS only the sweep tells followers. While nothing changes the watcher sends
    nothing but the sweep, one statement for every followed task (it used to read each task
    every interval: a thousand waiting clients, a thousand reads a second); when the tasks
    change, each follower sees its own change, and a deleted task ends its follower."""
    engine = make_engine(migrated_db)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    watcher = Watcher(engine, NatsConnection("nats://127.0.0.1:1", name="unstarted"), 0.1)
    try:
        async with engine.begin() as conn:
            ids = [await insert_running_task(conn, type_="single") for _ in range(FOLLOWED)]

        async def follow(task_id):
            async def read():
                async with engine.connect() as conn:
                    return await repository.get(conn, task_id)

            return [(u.id, u.status) async for u in watcher.follow(task_id, read)]

        def sweeps() -> int:
            return sum(1 for s in statements if "ANY" in s)

        def reads() -> int:
            return sum(1 for s in statements if "WHERE tasks.tasks.id = %(" in s)

        async def idle_sweeps() -> bool:
            return reads() >= FOLLOWED and sweeps() >= 5

        followers = [asyncio.create_task(follow(t)) for t in ids]
        await eventually(idle_sweeps, 30, "the first looks and five sweeps")
        assert reads() == FOLLOWED  # the first looks only: an idle sweep wakes no one

        async with engine.begin() as conn:
            await conn.execute(
                text("UPDATE tasks.tasks SET status = 'ready', done = 1 WHERE id = ANY(:t)"),
                {"t": ids[:-1]},
            )
            await conn.execute(text("DELETE FROM tasks.tasks WHERE id = :t"), {"t": ids[-1]})
        seen = await asyncio.wait_for(asyncio.gather(*followers), 60)
    finally:
        await engine.dispose()
    for task_id, updates in zip(ids[:-1], seen[:-1], strict=True):
        assert updates == [(task_id, Status.RUNNING), (task_id, Status.READY)]
    assert seen[-1] == [(ids[-1], Status.RUNNING)]
