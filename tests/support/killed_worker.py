"""A batch through a worker killed with -9 mid-way, the crash and audit tests' common start."""

import signal

from tests.support import task_processes as procs
from tests.support.task_batches import ROWS, assert_exactly_once, batch, wait_partly_done

QUICK_REDELIVERY = {"ack_wait_seconds": 5, "retry_base_seconds": 0.2, "retry_max_seconds": 1}


async def batch_through_a_killed_worker(stack, migrated_db, tmp_path):
    """A batch whose worker is killed (-9) mid-way and a second one finishes, every row
    stored once: (tasks channel, owner, task)."""
    settings = stack.settings["worker"]
    first = await procs.worker(tmp_path / "worker-1.log", settings, **QUICK_REDELIVERY).start()
    try:
        tasks, me, task = await batch(stack)
        await wait_partly_done(tasks, me, task.id)
        first.server.stop(signal.SIGKILL)
    finally:
        first.server.stop()
    second = await procs.worker(tmp_path / "worker-2.log", settings, **QUICK_REDELIVERY).start()
    try:
        await assert_exactly_once(migrated_db, tasks, me, task.id, ROWS)
    finally:
        second.server.stop()
    return tasks, me, task
