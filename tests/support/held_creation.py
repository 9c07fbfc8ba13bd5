"""A task creation held inside the tasks service, deterministically, for admission tests.

The tasks service spends one of the caller's rate-limit tokens first thing in a creation
(an upsert of their bucket row). With that row locked here, the creation waits there, holding
its admission slots (the gateway's and the tasks service's), until the lock is let go.
The bucket row must exist: the user has created a task before."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.support.waiting import eventually


@asynccontextmanager
async def bucket_locked(engine: AsyncEngine, user_id: object) -> AsyncIterator[None]:
    async with engine.connect() as locker:
        await locker.begin()
        found = await locker.execute(
            text("SELECT 1 FROM tasks.rate_buckets WHERE key = :k FOR UPDATE"), {"k": str(user_id)}
        )
        assert found.first() is not None, "the user has no rate bucket yet: create a task first"
        try:
            yield
        finally:
            await locker.rollback()


async def until_a_creation_waits(engine: AsyncEngine) -> None:
    """Returns once some session of this database waits on a row lock (the held creation)."""

    async def waiting() -> bool:
        async with engine.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
            return int(found.scalar_one()) > 0

    await eventually(waiting, 30, "a creation to wait on the locked rate bucket")


async def task_count(engine: AsyncEngine, user_id: object) -> int:
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT count(*) FROM tasks.tasks WHERE owner_id = :u"), {"u": str(user_id)}
        )
        return int(found.scalar_one())
