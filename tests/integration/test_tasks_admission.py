"""Admission control on CreateTask (inferlane.common.admission), through the real tasks
service: a creation that cannot start within the wait limit is refused as busy (UNAVAILABLE,
with how long to wait) and creates nothing; the one holding the slot still completes."""

import asyncio

import grpc
import pytest

from inferlane.common.db import make_engine
from inferlane.common.errors import DOMAIN_CODE_KEY, OVERLOADED, RETRY_AFTER_KEY
from tests.support import task_calls as calls
from tests.support.accounts import create_account
from tests.support.held_creation import bucket_locked, task_count, until_a_creation_waits

ONE_AT_A_TIME = {"create_concurrency": 1, "create_queue_seconds": 0.2}


async def test_a_creation_that_cannot_start_in_time_is_refused_as_busy_and_creates_nothing(
    stack_of, migrated_db
):
    stack = await stack_of(tasks_extra=ONE_AT_A_TIME)
    engine = make_engine(migrated_db)
    try:
        async with stack.channel(stack.auth) as auth, stack.channel(stack.tasks) as tasks:
            first, second = await create_account(auth), await create_account(auth)
            await calls.create_single(tasks, first.metadata, "creates the rate bucket")
            async with bucket_locked(engine, first.user_id):
                holding = asyncio.create_task(
                    calls.create_single(tasks, first.metadata, "holds the only slot")
                )
                await until_a_creation_waits(engine)
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await calls.create_single(tasks, second.metadata, "waits, then is refused")
            created = await holding  # the lock is let go: the first creation finishes

        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        trailers = dict(refused.value.trailing_metadata() or ())
        assert trailers[DOMAIN_CODE_KEY] == OVERLOADED
        assert float(trailers[RETRY_AFTER_KEY]) >= 1
        assert "busy" in (refused.value.details() or "")
        assert await task_count(engine, second.user_id) == 0
        assert calls.status_name(created) == "TASK_STATUS_ACCEPTED"
        assert await task_count(engine, first.user_id) == 2
    finally:
        await engine.dispose()
