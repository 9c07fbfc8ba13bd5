"""Load and outages make a task slower, never failed: CPU hogs on the cores, inference and
Triton killed and started again mid-task. Every task ends ready with each row stored exactly
once, and its progress never goes backwards.

(Triton is not slowed here by SIGSTOP: its python backend aborts on a lock exception when
its stubs are frozen and thawed, so that would test a crash, which the kill test covers.)"""

import asyncio
import signal

import pytest

from bench.hogs import cpu_hogs
from services.tasks.worker.process import build as build_worker
from tests.support import task_calls as calls
from tests.support import task_processes as procs
from tests.support.progress import never_backwards, progress_log
from tests.support.task_batches import ROWS, assert_exactly_once, batch, wait_partly_done
from tests.support.task_stack import start_task_stack, worker_settings

pytestmark = pytest.mark.slow

# Generous: on a loaded 2-core machine a slowed task may take minutes; it must not fail.
PATIENCE = 900


@pytest.fixture
def stack_of(start_process, migrated_db, nats_url, tmp_path):
    async def make(triton_url: str, **options):
        return await start_task_stack(
            start_process,
            database_url=migrated_db,
            nats_url=nats_url,
            triton_url=triton_url,
            work_dir=tmp_path,
            **options,
        )

    return make


def reader(tasks, me, task_id: str):
    async def read() -> int:
        return (await calls.get(tasks, me.metadata, task_id)).progress.done

    return read


async def test_a_large_task_completes_while_cpu_hogs_share_the_cores(stack_of, triton, migrated_db):
    stack = await stack_of(triton.url)
    with cpu_hogs(2):
        tasks, me, task = await batch(stack)
        async with progress_log(reader(tasks, me, task.id)) as seen:
            await assert_exactly_once(migrated_db, tasks, me, task.id, ROWS, PATIENCE)
    assert never_backwards(seen), seen


async def test_a_task_completes_when_inference_and_triton_are_killed_and_restarted(
    stack_of, own_triton, start_process, migrated_db, tmp_path
):
    stack = await stack_of(own_triton.url, workers=0)
    auth_addr = stack.settings["worker"]["auth_addr"]
    inference = await procs.inference(tmp_path / "inference.log", own_triton.url, auth_addr).start()
    try:
        await start_process(
            build_worker, worker_settings(stack.settings, inference_addr=inference.address)
        )
        tasks, me, task = await batch(stack)
        async with progress_log(reader(tasks, me, task.id)) as seen:
            await wait_partly_done(tasks, me, task.id)
            inference.server.stop(signal.SIGKILL)
            own_triton.stop(signal.SIGKILL)
            inference.server.start()  # it waits for Triton, saying NOT_SERVING meanwhile
            await asyncio.to_thread(own_triton.start)
            await assert_exactly_once(migrated_db, tasks, me, task.id, ROWS, PATIENCE)
        assert never_backwards(seen), seen
    finally:
        inference.server.stop()
