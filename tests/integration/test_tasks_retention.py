"""Retention: a finished embedding task's results, vectors and HNSW index go when it expires
(injectable clock), never before, once only, and not at all when the janitor dies mid-batch;
the task then keeps its summary and answers FAILED_PRECONDITION `expired` for its rows."""

import uuid
from datetime import UTC, timedelta

import grpc
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from inferlane.common.db import psycopg_url
from inferlane.common.errors import DOMAIN_CODE_KEY
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from services.tasks.retention import Janitor
from services.tasks.vector_index import VectorIndexes
from tests.support import task_calls as calls
from tests.support import task_processes as procs
from tests.support.accounts import MovableClock, create_account
from tests.support.grpc_errors import failure, trailer
from tests.support.task_vectors import vector_rows

pytestmark = pytest.mark.slow

DEFAULT_TTL = timedelta(days=30)  # TASKS_TTL_SECONDS's default


class Crash(Exception):
    pass


def crash(ids: list[uuid.UUID]) -> None:
    raise Crash(f"killed mid-batch with {len(ids)} tasks")


async def test_expiry_deletes_rows_once_never_early_and_survives_a_crash(searchable, migrated_db):
    tasks, me, _, task = searchable
    task_id = uuid.UUID(task.id)
    created, expires = task.created_at.ToDatetime(), task.expires_at.ToDatetime()
    assert expires - created == DEFAULT_TTL
    rows = (await procs.stored_rows(migrated_db, task.id))[0]
    vectors = len(await vector_rows(migrated_db, task.id))
    assert rows and vectors
    engine = create_async_engine(psycopg_url(migrated_db))
    indexes = VectorIndexes(engine, 0)
    assert await indexes.state(task_id) is True
    clock = MovableClock(task.expires_at.ToDatetime(tzinfo=UTC))
    try:
        clock.advance(seconds=-1)  # a second early: nothing goes
        await Janitor(engine, interval_seconds=1, batch=500, clock=clock).sweep()
        assert (await procs.stored_rows(migrated_db, task.id))[0] == rows

        clock.advance(seconds=2)
        with pytest.raises(Crash):  # dies after deleting, before marking: all rolled back
            await Janitor(
                engine, interval_seconds=1, batch=500, clock=clock, mid_batch=crash
            ).sweep()
        assert (await procs.stored_rows(migrated_db, task.id))[0] == rows
        assert len(await vector_rows(migrated_db, task.id)) == vectors
        assert len(await calls.all_results(tasks, me.metadata, task.id)) == rows

        janitor = Janitor(engine, interval_seconds=1, batch=500, clock=clock)
        assert await janitor.sweep() >= 1
        assert (await procs.stored_rows(migrated_db, task.id))[0] == 0
        assert await vector_rows(migrated_db, task.id) == []
        assert await indexes.state(task_id) is None
        await janitor.sweep()  # again: the task is not picked twice
        trail = await calls.audit_trail(tasks, me.metadata, task.id)
        assert [e.event for e in trail].count("expired") == 1
    finally:
        await engine.dispose()

    kept = await calls.get(tasks, me.metadata, task.id)
    assert calls.status_name(kept) == "TASK_STATUS_READY"
    assert kept.summary.batch.failed == task.summary.batch.failed
    assert kept.expires_at == task.expires_at
    for call in (
        calls.stub(tasks).ListResults(pb.ListResultsRequest(task_id=task.id), metadata=me.metadata),
        calls.stub(tasks).SearchTask(
            pb.SearchTaskRequest(task_id=task.id, row_index=0, k=3), metadata=me.metadata
        ),
    ):
        refused = await failure(call)
        assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert trailer(refused, DOMAIN_CODE_KEY) == "expired"


async def test_a_task_may_ask_for_its_own_ttl_within_the_maximum(stack):
    async with stack.channel(stack.auth) as auth:
        me = await create_account(auth)
    async with stack.channel(stack.tasks) as tasks:
        single = pb.SingleTaskSpec(model="sentiment", ttl_seconds=60)
        single.input.update({"text": "keep this a minute"})
        reply = await calls.stub(tasks).CreateTask(
            pb.CreateTaskRequest(single=single), metadata=me.metadata
        )
        t = reply.task
        assert t.expires_at.ToDatetime() - t.created_at.ToDatetime() == timedelta(seconds=60)
        single.ttl_seconds = 366 * 86400  # above TASKS_MAX_TTL_SECONDS's default
        refused = await failure(
            calls.stub(tasks).CreateTask(pb.CreateTaskRequest(single=single), metadata=me.metadata)
        )
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "ttl_seconds" in (refused.details() or "")
