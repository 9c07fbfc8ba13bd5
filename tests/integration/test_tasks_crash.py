"""The task pipeline under failure: a worker or the relay killed with -9, NATS restarted,
datasets down past the retry budget, cancellation and watching mid-batch, two workers sharing
one task. Every batch must end with exactly one stored result per row."""

import asyncio
import contextlib

import grpc
import nats
import pytest

from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_types_pb2 as types
from services.tasks.domain import chunk_sizes
from services.tasks.settings import TasksSettings
from services.tasks.worker.process import build as build_worker
from tests.support import task_calls as calls
from tests.support import task_processes as procs
from tests.support.accounts import create_account, sign_in
from tests.support.datasets import upload
from tests.support.gateway_accounts import promote_to_admin
from tests.support.killed_worker import QUICK_REDELIVERY, batch_through_a_killed_worker
from tests.support.task_batches import ROWS, assert_exactly_once, batch, wait_partly_done
from tests.support.task_stack import start_peers, worker_settings
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow


async def test_a_worker_killed_mid_batch_loses_and_repeats_no_row(stack_of, migrated_db, tmp_path):
    await batch_through_a_killed_worker(await stack_of(workers=0), migrated_db, tmp_path)


async def test_relay_killed_between_publish_and_mark_sent_publishes_each_message_once(
    own_nats, start_process, migrated_db, triton, tmp_path
):
    peers = await start_peers(
        start_process,
        database_url=migrated_db,
        nats_url=own_nats.url,
        triton_url=triton.url,
        work_dir=tmp_path,
    )
    settings = {
        "database_url": migrated_db,
        "nats_url": own_nats.url,
        "auth_addr": peers.auth.address,
        "datasets_addr": peers.datasets.address,
        "inference_addr": peers.inference.address,
        "service_key": peers.service_key,
    }
    dying = await procs.tasks_service(
        tmp_path / "tasks-1.log", settings, INFERLANE_FAILPOINTS="relay-after-publish"
    ).start()
    rows = 600
    async with (
        grpc.aio.insecure_channel(peers.auth.address) as auth,
        grpc.aio.insecure_channel(peers.datasets.address) as datasets,
    ):
        me = await create_account(auth)
        dataset = await upload(datasets, me.metadata, "reviews.csv", calls.reviews_csv(rows))
    async with grpc.aio.insecure_channel(dying.address) as channel:
        # The relay publishes as soon as the task commits, so the process may die before
        # its answer leaves: the database, not the reply, says what was accepted.
        with contextlib.suppress(grpc.aio.AioRpcError):
            await calls.create_batch(channel, me.metadata, dataset.id)
    assert dying.server.process is not None
    assert await asyncio.to_thread(dying.server.process.wait, 30) in (-9, 137)
    (task_id,) = await procs.task_ids_of(migrated_db, me.user_id)
    assert await procs.unpublished_outbox_rows(migrated_db) > 0  # the published one included

    restarted = await procs.tasks_service(tmp_path / "tasks-2.log", settings).start()
    try:
        await start_process(build_worker, worker_settings({"worker": settings}))
        async with grpc.aio.insecure_channel(restarted.address) as tasks:
            await assert_exactly_once(migrated_db, tasks, me, task_id, rows)
        await eventually(
            lambda: _no_unpublished(migrated_db), 10, "the outbox to have nothing left to send"
        )
        client = await nats.connect(own_nats.url)
        try:  # one work message per chunk entered the queue: the republished one was a duplicate
            work = await client.jetstream().stream_info("TASKS_WORK")
            chunks = chunk_sizes(rows, TasksSettings.model_fields["chunk_rows"].default)
            assert work.state.last_seq == len(chunks)
        finally:
            await client.close()
    finally:
        restarted.server.stop()


async def _no_unpublished(db: str) -> bool:
    return await procs.unpublished_outbox_rows(db) == 0


async def test_nats_restarted_mid_batch_still_gives_one_result_per_row(
    stack_of, own_nats, migrated_db
):
    stack = await stack_of(worker_extra=QUICK_REDELIVERY)
    tasks, me, task = await batch(stack)
    await wait_partly_done(tasks, me, task.id)
    own_nats.stop()
    await asyncio.sleep(1)
    own_nats.start()
    await assert_exactly_once(migrated_db, tasks, me, task.id, ROWS)


async def test_datasets_down_past_the_retry_budget_dead_letters_then_replay_completes(
    stack_of, start_process, own_nats, migrated_db, tmp_path
):
    stack = await stack_of(workers=0)
    settings = stack.settings["worker"]
    doomed = await procs.worker(
        tmp_path / "worker-1.log",
        {**settings, "datasets_addr": "127.0.0.1:9"},  # nothing listens there
        retry_budget_seconds=1,
        retry_base_seconds=0.2,
    ).start()
    rows = 300  # two chunks
    try:
        tasks, me, task = await batch(stack, rows)
        failed = await calls.wait_for(tasks, me.metadata, task.id, timeout=60)
    finally:
        doomed.server.stop()
    assert calls.status_name(failed) == "TASK_STATUS_ERROR" and failed.error.code == "03", failed
    assert "gave up after" in failed.error.message, failed

    admin = await create_account(stack.channel(stack.auth))
    await promote_to_admin(migrated_db, admin.email, tmp_path)
    admin = await sign_in(stack.channel(stack.auth), admin)
    stub = calls.stub(tasks)
    listed = await stub.ListDeadLetters(pb.ListDeadLettersRequest(), metadata=admin.metadata)
    letters = [d for d in listed.dead_letters if d.task_id == task.id]
    assert letters and all(d.delivery_count == 1 for d in letters), (
        listed
    )  # retried, not redelivered
    client = await nats.connect(own_nats.url)
    try:
        message = await client.jetstream().get_last_msg(
            "TASKS_DEAD_LETTERS", f"tasks.dead.{task.id}"
        )
        assert message.data
    finally:
        await client.close()

    await start_process(build_worker, worker_settings(stack.settings))
    await stub.ReplayDeadLetter(
        pb.ReplayDeadLetterRequest(dead_letter_id=letters[0].id), metadata=admin.metadata
    )
    await assert_exactly_once(migrated_db, tasks, me, task.id, rows)


async def test_cancel_mid_batch_keeps_partial_results_and_stops_the_rest(stack_of, migrated_db):
    stack = await stack_of()
    tasks, me, task = await batch(stack)
    await wait_partly_done(tasks, me, task.id)
    reply = await calls.stub(tasks).CancelTask(
        pb.CancelTaskRequest(task_id=task.id), metadata=me.metadata
    )
    assert calls.status_name(reply.task) == "TASK_STATUS_CANCELLED"
    await asyncio.sleep(3)  # chunks in flight finish (or are dropped)
    settled = await procs.stored_rows(migrated_db, task.id)
    await asyncio.sleep(2)
    assert await procs.stored_rows(migrated_db, task.id) == settled
    count, indexes = settled
    assert 0 < count == len(indexes) < ROWS
    listed = await calls.all_results(tasks, me.metadata, task.id)
    assert [r.row_index for r in listed] == indexes
    final = await calls.get(tasks, me.metadata, task.id)
    assert calls.status_name(final) == "TASK_STATUS_CANCELLED" and final.progress.done < ROWS


async def test_two_watchers_both_see_progress_and_the_ready_task(stack_of):
    stack = await stack_of()
    _, me, task = await batch(stack, 1000)

    async def watch() -> list[types.TaskEvent]:
        events: list[types.TaskEvent] = []
        async with stack.channel(stack.tasks) as channel:
            async for reply in calls.stub(channel).WatchTask(
                pb.WatchTaskRequest(task_id=task.id), metadata=me.metadata
            ):
                events.append(reply.event)
                ev = reply.event
                if ev.WhichOneof("event") == "task" and ev.task.status in calls.TERMINAL:
                    break
        return events

    for events in await asyncio.wait_for(asyncio.gather(watch(), watch()), 120):
        kinds = [e.WhichOneof("event") for e in events]
        assert kinds[0] == "task" and "progress" in kinds, kinds
        assert events[-1].task.status == types.TASK_STATUS_READY
        # A running task's progress has a rate and an ETA later than the event; a ready one none.
        ticks = [e for e in events if e.WhichOneof("event") == "progress"]
        running = [e for e in ticks if 0 < e.progress.done < e.progress.total]
        assert running, [(e.progress.done, e.progress.total) for e in ticks]
        for e in running:
            assert e.progress.rows_per_second > 0, e
            eta = e.progress.estimated_completion.ToDatetime()
            assert e.progress.HasField("estimated_completion") and eta > e.occurred_at.ToDatetime()
        final = events[-1].task.progress
        assert final.rows_per_second == 0 and not final.HasField("estimated_completion")


async def test_two_workers_share_one_task_and_store_each_row_once(stack_of, own_nats, migrated_db):
    stack = await stack_of(
        workers=2, worker_extra={"concurrency": 1}, tasks_extra={"chunk_rows": 16}
    )
    first, second = (procs.chunks_run_by(w) for w in stack.workers)
    await procs.wait_pulling(own_nats.url, 2)  # both workers wait on the queue
    rows = 192  # fifteen chunks: 2, 4, 8 (the small first ones), then of 16
    tasks, me, task = await batch(stack, rows)
    await assert_exactly_once(migrated_db, tasks, me, task.id, rows)
    assert first and second, (first, second)
    assert sorted(first + second) == list(range(len(chunk_sizes(rows, 16))))
