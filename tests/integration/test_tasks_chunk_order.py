"""A worker runs a task's chunks in order (chunk_line.py), so the small first chunks show
progress first. Before, a worker holding many messages ran them in the order their database
reads finished: chunk 7 before chunk 0, and the console's bar first showed 256 rows."""

import pytest

from services.tasks.domain import chunk_sizes
from tests.support import task_calls as calls
from tests.support.task_batches import assert_exactly_once, batch

pytestmark = pytest.mark.slow

ROWS = 1000  # 32, 32, 64, 128, then 256s: seven chunks


async def test_with_one_batch_slot_a_tasks_chunks_start_and_finish_in_index_order(
    stack_of, migrated_db
):
    stack = await stack_of(worker_extra={"batch_chunks": 1})
    tasks, me, task = await batch(stack, ROWS)
    await assert_exactly_once(migrated_db, tasks, me, task.id, ROWS)

    trail = await calls.audit_trail(tasks, me.metadata, task.id)
    chunks = [
        (e.event, int(e.details["chunk"]))
        for e in trail
        if e.event in ("chunk_started", "chunk_finished")
    ]
    in_order = []
    for index in range(len(chunk_sizes(ROWS, 256))):
        in_order += [("chunk_started", index), ("chunk_finished", index)]
    assert chunks == in_order
