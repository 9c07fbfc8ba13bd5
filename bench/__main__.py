"""`python -m bench`: start the platform, run every benchmark, print one table."""

import asyncio
from collections.abc import Sequence

from bench import clients, inference, load, search, tasks
from bench.stack import running_stack

HEADER = ("metric", "platform", "direct Triton", "ratio / delta", "target")


def table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *map(line, rows)])


def main() -> None:
    with running_stack() as stack:
        rows = asyncio.run(inference.run(stack))
        task_rows = asyncio.run(tasks.run(stack))
        load_rows = asyncio.run(load.run(stack))
        client_rows = asyncio.run(clients.run(stack))
        found = asyncio.run(search.run(stack))
    with running_stack(TASKS_WORKER_STORE_VECTORS="false") as plain:  # S-3's baseline
        plain_rps = asyncio.run(search.embedding_task_rps(plain))
    print(
        f"\nInference (sentiment, batch {inference.BATCH}, {inference.CONCURRENCY} in flight, "
        f"{inference.ROWS} reviews; both legs in this run, same machine)\n"
    )
    print(table(rows))
    print(
        f"\nTasks (sentiment; direct leg: batches of {tasks.DIRECT_BATCH}, "
        f"{tasks.DIRECT_IN_FLIGHT} in flight, same rows)\n"
    )
    print(table(task_rows))
    stages = ", ".join(f"{k} {v:.1f} ms" for k, v in tasks.LAST_STAGES.items())
    print(f"T-M5 stages (p50; created -> queued -> started -> finished): {stages}")
    print(
        f"\nTasks under load (sentiment; {load.TASKS} batch tasks at once, quiet and then with "
        f"{load.HOGS} CPU-bound processes on the machine)\n"
    )
    print(table(load_rows, load.HEADER))
    print(
        f"\nConcurrent clients ({clients.CLIENTS:,} over REST, {clients.USERS} users, polling "
        f"from {clients.POLL_FIRST} s to {clients.POLL_MAX} s apart; direct leg: the same "
        "reviews to Triton all at once)\n"
    )
    print(table(client_rows))
    print(
        f"\nSearch (embedding; {search.ROWS:,} stored vectors, {search.TASK_ROWS:,}-row tasks; "
        "S-3's baseline on a second platform that stores no vectors)\n"
    )
    print(table([*found.rows, search.ratio_row(found.storing_rps, plain_rps)], search.HEADER))


if __name__ == "__main__":
    main()
