"""T-M1 under load: the same batch task with and without two CPU hogs on the machine.

Other programs on the cores must make a task slower, never failed: the leg runs TASKS batch
tasks at once, quiet and then with two busy loops, and reports rows/s, the slowdown, and how
many tasks did not end ready (target: 0).
"""

import asyncio
import os
import time

from bench.hogs import cpu_hogs
from bench.stack import Stack
from bench.tasks import review_dataset, until_terminal
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_types_pb2 as types

ROWS = int(os.environ.get("BENCH_LOAD_ROWS", "5000"))
TASKS = 2
HOGS = 2
HEADER = ("metric", "with hogs", "quiet", "slowdown", "target")


async def _leg(tasks, metadata, dataset_id: str) -> tuple[float, int]:
    """(rows/s over TASKS batch tasks run at once, tasks that did not end ready)."""
    start = time.perf_counter()
    created = [
        await tasks.CreateTask(
            pb.CreateTaskRequest(
                batch=pb.BatchTaskSpec(model="sentiment", dataset_id=dataset_id, column="review")
            ),
            metadata=metadata,
        )
        for _ in range(TASKS)
    ]
    ended = await asyncio.gather(*(until_terminal(tasks, metadata, c.task.id) for c in created))
    seconds = time.perf_counter() - start
    failed = sum(1 for t in ended if t.status != types.TASK_STATUS_READY)
    return TASKS * ROWS / seconds, failed


async def run(stack: Stack) -> list[tuple[str, str, str, str, str]]:
    async with review_dataset(stack, ROWS) as data:
        quiet_rps, quiet_failed = await _leg(data.tasks, data.metadata, data.dataset_id)
        with cpu_hogs(HOGS):
            loaded_rps, loaded_failed = await _leg(data.tasks, data.metadata, data.dataset_id)
    return [
        (
            f"T-M1 under load: {TASKS} x {ROWS:,} rows, {HOGS} CPU hogs",
            f"{loaded_rps:,.0f} rows/s",
            f"{quiet_rps:,.0f} rows/s",
            f"{quiet_rps / loaded_rps:.2f}x slower",
            "slower, never failed",
        ),
        (
            "T-M1 under load: tasks not ready",
            f"{loaded_failed} of {TASKS}",
            f"{quiet_failed} of {TASKS}",
            "",
            "0",
        ),
    ]


def main() -> None:
    from bench.__main__ import table  # the report's one table format
    from bench.stack import running_stack

    with running_stack() as stack:
        rows = asyncio.run(run(stack))
    print(f"\nTasks under load (sentiment; {TASKS} batch tasks at once, quiet then {HOGS} hogs)\n")
    print(table(rows, HEADER))


if __name__ == "__main__":
    main()
