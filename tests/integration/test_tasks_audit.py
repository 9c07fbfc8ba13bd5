"""A task's audit trail after the crash tests' failures: a worker killed mid-batch, and a
dependency down past the retry budget. The trail says who created the task, every chunk's
tries (attempt, worker) and the outcome; admins read anyone's, others get NOT_FOUND."""

from collections import defaultdict
from typing import Any

import grpc
import pytest
from google.protobuf.json_format import MessageToDict

from inferlane.tasks.v1 import tasks_types_pb2 as types
from services.tasks.domain import chunk_sizes
from tests.support import task_calls as calls
from tests.support import task_processes as procs
from tests.support.accounts import create_account, sign_in
from tests.support.gateway_accounts import promote_to_admin
from tests.support.killed_worker import batch_through_a_killed_worker
from tests.support.task_batches import ROWS, batch

pytestmark = pytest.mark.slow

CHUNKS = len(chunk_sizes(ROWS, 256))  # small first chunks, then of 256


def _details(entry: types.AuditEntry) -> dict[str, Any]:
    found = MessageToDict(entry.details)
    return {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in found.items()}


async def test_the_trail_is_complete_after_a_worker_is_killed_mid_batch(
    stack_of, migrated_db, tmp_path
):
    stack = await stack_of(workers=0)
    tasks, me, task = await batch_through_a_killed_worker(stack, migrated_db, tmp_path)
    await calls.export(tasks, me.metadata, task.id, types.EXPORT_FORMAT_CSV)

    trail = await calls.audit_trail(tasks, me.metadata, task.id, page_size=7)  # paged
    events = [e.event for e in trail]
    # `queued` once, whether the relay or a worker got there first (test_tasks_lifecycle).
    assert events[:2] == ["created", "queued"] and events.count("queued") == 1, events
    assert events[-2:] == ["ready", "exported"], events
    created = trail[0]
    assert created.actor_id == me.user_id
    assert _details(created)["request_id"] and _details(created)["client"]  # gRPC user-agent
    assert _details(created)["rows"] == ROWS
    assert _details(trail[-2])["done"] == ROWS
    assert (trail[-1].actor_id, _details(trail[-1])["format"]) == (me.user_id, "csv")

    started: dict[int, list[dict[str, Any]]] = defaultdict(list)
    finished: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for entry in trail:
        if entry.event in ("chunk_started", "chunk_finished"):
            by_chunk = started if entry.event == "chunk_started" else finished
            by_chunk[_details(entry)["chunk"]].append(_details(entry))
    # Every chunk finished exactly once, by a try whose start is in the trail too.
    assert sorted(finished) == list(range(CHUNKS))
    assert all(len(finished[c]) == 1 for c in finished), finished
    for chunk, (done,) in finished.items():
        tries = {(s["attempt"], s["worker"]) for s in started[chunk]}
        assert (done["attempt"], done["worker"]) in tries, (chunk, started[chunk], done)
    # The kill shows: tries that started on one worker and finished, redelivered, on another.
    workers = {d["worker"] for ds in started.values() for d in ds}
    assert len(workers) == 2, workers
    lost = [c for c, ds in started.items() if len(ds) > 1]
    assert lost and all(finished[c][0]["attempt"] >= 2 for c in lost), (started, finished)

    stranger = await create_account(stack.channel(stack.auth))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await calls.audit_trail(tasks, stranger.metadata, task.id)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    admin = await create_account(stack.channel(stack.auth))
    await promote_to_admin(migrated_db, admin.email, tmp_path)
    admin = await sign_in(stack.channel(stack.auth), admin)
    as_admin = await calls.audit_trail(tasks, admin.metadata, task.id)
    assert [e.event for e in as_admin] == events


async def test_retries_and_the_dead_letter_are_in_the_trail(stack_of, tmp_path):
    stack = await stack_of(workers=0)
    settings = stack.settings["worker"]
    doomed = await procs.worker(
        tmp_path / "worker-1.log",
        {**settings, "datasets_addr": "127.0.0.1:9"},  # nothing listens there
        retry_budget_seconds=1,
        retry_base_seconds=0.2,
    ).start()
    try:
        tasks, me, task = await batch(stack, 300)  # two chunks
        failed = await calls.wait_for(tasks, me.metadata, task.id, timeout=60)
    finally:
        doomed.server.stop()
    assert calls.status_name(failed) == "TASK_STATUS_ERROR"
    trail = await calls.audit_trail(tasks, me.metadata, task.id)
    events = [e.event for e in trail]
    assert "chunk_retried" in events and "chunk_dead_lettered" in events, events
    retried = _details(trail[events.index("chunk_retried")])
    assert retried["attempt"] == 1 and retried["worker"] and "UNAVAILABLE" in retried["reason"]
    dead = _details(trail[events.index("chunk_dead_lettered")])
    assert "gave up after" in dead["reason"] and dead["dead_letter_id"]
    assert events.count("error") == 1  # the task failed once, whichever chunk gave up first
