"""`python -m bench`: start the platform, run every benchmark, print one table."""

import asyncio
import os
from collections.abc import Sequence

from bench import clients, inference, inprocess, load, search, tasks
from bench.celery_leg import celery_worker
from bench.rounds import ROUNDS
from bench.stack import running_stack

HEADER = ("metric", "leg", "reference", "ratio / delta", "target")
# BENCH_SECTIONS=inference,tasks runs only those (for measuring one change at a time).
SECTIONS = set(os.environ.get("BENCH_SECTIONS", "inference,tasks,load,clients,search").split(","))


def table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def main() -> None:
    # L0's settings are found while nothing else runs; the Celery worker then uses them too.
    l0 = inprocess.tuned(inference.reviews(inprocess.SAMPLE))
    with running_stack() as stack, celery_worker(l0.threads):
        rows = asyncio.run(inference.run(stack, l0)) if "inference" in SECTIONS else []
        task_rows = asyncio.run(tasks.run(stack, l0)) if "tasks" in SECTIONS else []
        load_rows = asyncio.run(load.run(stack)) if "load" in SECTIONS else []
        client_rows = asyncio.run(clients.run(stack)) if "clients" in SECTIONS else []
        found = asyncio.run(search.run(stack)) if "search" in SECTIONS else None
        if found is not None:  # S-3: this platform and one that stores no vectors, interleaved
            with running_stack(TASKS_WORKER_STORE_VECTORS="false") as plain:
                found += asyncio.run(search.storing_vs_not(stack, plain))
    print(
        f"\nEvery throughput leg ran once per round, {ROUNDS} rounds, interleaved; each figure "
        "is the median, with the lowest and highest round in brackets."
    )
    if rows:
        print(
            f"\nInference (sentiment, batch {inference.BATCH}, {inference.CONCURRENCY} in "
            f"flight, {inference.ROWS:,} reviews; the leg ÷ the reference, same run)\n"
        )
        print(table(rows))
    if task_rows:
        print(
            f"\nTasks (sentiment; direct leg: batches of {tasks.DIRECT_BATCH}, "
            f"{tasks.DIRECT_IN_FLIGHT} in flight, same rows; Celery + Redis: one solo worker "
            "process running the same graph)\n"
        )
        print(table(task_rows))
        stages = ", ".join(f"{k} {v:.1f} ms" for k, v in tasks.LAST_STAGES.items())
        print(f"T-M5 stages (p50; created -> queued -> started -> finished): {stages}")
    if load_rows:
        print(
            f"\nTasks under load (sentiment; {load.TASKS} batch tasks at once, quiet and then "
            f"with {load.HOGS} CPU-bound processes on the machine)\n"
        )
        print(table(load_rows, load.HEADER))
    if client_rows:
        print(
            f"\nConcurrent clients ({clients.CLIENTS:,} over REST, {clients.USERS} users, "
            f"waiting by {clients.WAIT}; direct leg: the same reviews to Triton all at once; "
            "Celery: one task per review, all at once)\n"
        )
        print(table(client_rows))
    if found is not None:
        print(
            f"\nSearch (embedding; {search.ROWS:,} stored vectors, {search.TASK_ROWS:,}-row "
            f"tasks; S-3's baseline on a second platform that stores no vectors, both up at "
            f"once, {search.S3_ROUNDS} rounds alternating A B / B A)\n"
        )
        print(table(found, search.HEADER))


if __name__ == "__main__":
    main()
