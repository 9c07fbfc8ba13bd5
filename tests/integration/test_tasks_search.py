"""Embedding tasks store one vector per row in pgvector, and SearchTask finds similar rows:
the real pipeline (datasets, inference, Triton, worker) on the embedded PostgreSQL + pgvector."""

import signal
import uuid

import grpc
import psycopg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from inferlane.common.db import psycopg_url
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from services.tasks.vector_index import VectorIndexes
from tests.support import search_reviews as reviews
from tests.support import task_calls as calls
from tests.support import task_processes as procs
from tests.support.accounts import create_account
from tests.support.datasets import upload
from tests.support.task_batches import wait_partly_done
from tests.support.task_vectors import vector_rows
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow


async def search(tasks, metadata, task_id: str, **fields) -> pb.SearchTaskResponse:
    return await calls.stub(tasks).SearchTask(
        pb.SearchTaskRequest(task_id=task_id, **fields), metadata=metadata
    )


async def test_each_good_row_has_one_vector_and_the_failed_row_none(searchable, migrated_db):
    tasks, me, _, task = searchable
    assert task.progress.failed == 1
    assert await vector_rows(migrated_db, task.id) == list(range(reviews.EMPTY_ROW))
    results = await calls.all_results(tasks, me.metadata, task.id)
    assert results[reviews.EMPTY_ROW].error.code == "01"


async def test_nearest_rows_of_a_known_row_are_its_near_duplicates(searchable, migrated_db):
    tasks, me, _, task = searchable
    engine = create_async_engine(psycopg_url(migrated_db))
    indexes = VectorIndexes(engine, 10)

    async def indexed() -> bool:
        return bool(await indexes.state(uuid.UUID(task.id)))

    try:
        await eventually(indexed, 60, "the task's HNSW index")
    finally:
        await engine.dispose()
    for row in (0, 4, 11):
        found = await search(tasks, me.metadata, task.id, row_index=row, k=2)
        assert found.approximate
        assert sorted(h.row_index for h in found.hits) == sorted(
            set(reviews.group_of(row)) - {row}
        ), found
        assert all(0.5 < h.similarity <= 1.0 for h in found.hits)
        assert found.hits[0].similarity >= found.hits[1].similarity
        assert all(h.columns["stars"] for h in found.hits)  # the row's other column


async def test_a_query_text_finds_the_rows_about_it(searchable):
    tasks, me, _, task = searchable
    found = await search(tasks, me.metadata, task.id, text="zipper broke after a week", k=3)
    assert {h.row_index for h in found.hits} == {0, 1, 2}
    assert found.hits[0].text == reviews.GROUPS[0][0]
    strict = await search(
        tasks, me.metadata, task.id, text="zipper broke after a week", k=10, min_similarity=0.5
    )
    assert {h.row_index for h in strict.hits} == {0, 1, 2}


async def test_a_label_filter_keeps_only_rows_with_those_labels(searchable):
    tasks, me, dataset_id, task = searchable
    labelled = await calls.create_batch(tasks, me.metadata, dataset_id, column="review")
    labelled = await calls.wait_for(tasks, me.metadata, labelled.id)
    labels = {
        r.row_index: r.output.label
        for r in await calls.all_results(tasks, me.metadata, labelled.id)
    }
    found = await search(
        tasks,
        me.metadata,
        task.id,
        text="good value",
        k=10,
        label_task_id=labelled.id,
        label_in=["positive"],
    )
    assert found.hits and not found.approximate
    assert all(labels[h.row_index] == "positive" for h in found.hits)
    assert len(found.hits) == min(10, sum(1 for v in labels.values() if v == "positive"))


async def test_another_user_finds_no_task_to_search(searchable, stack):
    tasks, _, _, task = searchable
    async with stack.channel(stack.auth) as auth:
        other = await create_account(auth)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await search(tasks, other.metadata, task.id, text="zipper", k=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_task_that_is_not_an_embedding_task_cannot_be_searched(searchable):
    tasks, me, dataset_id, _ = searchable
    sentiment = await calls.create_batch(tasks, me.metadata, dataset_id, column="review")
    await calls.wait_for(tasks, me.metadata, sentiment.id)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await search(tasks, me.metadata, sentiment.id, text="zipper", k=5)
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


@pytest.mark.parametrize("k", [0, 101])
async def test_k_out_of_range_is_invalid(searchable, k):
    tasks, me, _, task = searchable
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await search(tasks, me.metadata, task.id, text="zipper", k=k)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_deleting_the_task_deletes_its_vectors(searchable, migrated_db):
    _, _, _, task = searchable
    assert await vector_rows(migrated_db, task.id)
    async with await psycopg.AsyncConnection.connect(migrated_db) as conn:
        await conn.execute("DELETE FROM tasks.tasks WHERE id = %s", [task.id])
    assert await vector_rows(migrated_db, task.id) == []


async def test_a_worker_killed_mid_embedding_batch_stores_one_vector_per_row(
    stack_of, migrated_db, tmp_path
):
    stack = await stack_of(workers=0)
    settings = stack.settings["worker"]
    quick = {"ack_wait_seconds": 5, "retry_base_seconds": 0.2, "retry_max_seconds": 1}
    rows = 1200
    async with stack.channel(stack.auth) as auth, stack.channel(stack.datasets) as datasets:
        me = await create_account(auth)
        dataset = await upload(datasets, me.metadata, "reviews.csv", calls.reviews_csv(rows))
    tasks = stack.channel(stack.tasks)
    task = await calls.create_batch(
        tasks, me.metadata, dataset.id, column="review", model="embedding"
    )
    first = await procs.worker(tmp_path / "worker-1.log", settings, **quick).start()
    try:
        await wait_partly_done(tasks, me, task.id)
        first.server.stop(signal.SIGKILL)
    finally:
        first.server.stop()
    second = await procs.worker(tmp_path / "worker-2.log", settings, **quick).start()
    try:
        done = await calls.wait_for(tasks, me.metadata, task.id, timeout=300)
        assert calls.status_name(done) == "TASK_STATUS_READY", done
        assert await vector_rows(migrated_db, task.id) == list(range(rows))
    finally:
        second.server.stop()
        await tasks.close(None)
