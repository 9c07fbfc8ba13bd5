"""`make bench-scale`: one batch task over 1,000,000 rows, with every process's memory watched.

The model is `diabetes-progression` (ten floats in, one out), so the run measures the
platform: the upload, reading rows by chunk, Predict calls, storing a million results, the
export. Sentiment on this CPU would take hours and say nothing more about memory.
Every process of the platform is sampled while it runs; "bounded" means each one's
resident memory stops growing once the work is under way, instead of growing with rows.
"""

import asyncio
import contextlib
import csv
import io
import os
import random
import time
from collections.abc import Iterator

import grpc
import httpx
import psutil

from bench.inference import token
from bench.stack import Stack, running_stack
from bench.tasks import upload
from inferlane.datasets.v1 import datasets_service_pb2_grpc
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_service_pb2_grpc
from inferlane.tasks.v1 import tasks_types_pb2 as types

ROWS = int(os.environ.get("BENCH_SCALE_ROWS", "1000000"))
COLUMNS = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")
SAMPLE_SECONDS = 1.0
EXPORTS = int(os.environ.get("BENCH_SCALE_EXPORTS", "3"))  # the median of these is reported


def dataset_csv(rows: int) -> bytes:
    rng = random.Random(7)  # noqa: S311 (test data, not secrets)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for _ in range(rows):
        writer.writerow([f"{rng.uniform(-0.1, 0.1):.5f}" for _ in COLUMNS])
    return out.getvalue().encode()


# Longest first: "services.tasks" is a prefix of "services.tasks.worker".
MODULES = ("tasks.worker", "gateway", "auth", "datasets", "tasks", "inference")
BINARIES = ("tritonserver", "triton_python_backend_stub", "nats-server", "postgres")


def processes(launcher_pid: int) -> Iterator[tuple[str, psutil.Process]]:
    """Each process of the platform, named by what it runs (a backend stub is Triton's)."""
    for proc in psutil.Process(launcher_pid).children(recursive=True):
        try:
            argv = proc.cmdline()
        except psutil.Error:
            continue
        line = " ".join(argv)
        module = next((m for m in MODULES if f"-m services.{m}" in line), None)
        binary = next((b for b in BINARIES if argv and argv[0].endswith(b)), None)
        if module or binary:
            yield module or ("triton" if binary and "triton" in binary else str(binary)), proc


class MemoryWatch:
    """RSS of each process, sampled until stopped, with the progress at each sample."""

    def __init__(self, launcher_pid: int) -> None:
        self._launcher = launcher_pid
        self.samples: list[tuple[float, dict[str, int]]] = []  # (fraction done, name -> RSS)
        self.fraction = 0.0

    async def run(self) -> None:
        while True:
            rss: dict[str, int] = {}
            for name, proc in processes(self._launcher):
                with contextlib.suppress(psutil.Error):  # it may have just exited
                    rss[name] = rss.get(name, 0) + proc.memory_info().rss
            self.samples.append((self.fraction, rss))
            await asyncio.sleep(SAMPLE_SECONDS)

    def report(self) -> list[tuple[str, str, str, str]]:
        """Per process: peak RSS over the run, RSS at 25 % and at 100 % of the rows."""

        def at(fraction: float) -> dict[str, int]:
            return next((s for f, s in self.samples if f >= fraction), self.samples[-1][1])

        quarter, end = at(0.25), at(1.0)
        names = sorted({n for _, s in self.samples for n in s})
        mib = lambda b: f"{b / 2**20:,.0f} MiB"  # noqa: E731
        return [
            (
                name,
                mib(max(s.get(name, 0) for _, s in self.samples)),
                mib(quarter.get(name, 0)),
                mib(end.get(name, 0)),
            )
            for name in names
        ]


async def export_csv(
    http: httpx.AsyncClient, task_id: str, headers: dict[str, str]
) -> tuple[int, float]:
    """The task's whole CSV export through the gateway: (data rows, seconds)."""
    started, lines = time.perf_counter(), 0
    async with http.stream(
        "GET", f"/api/v1/tasks/{task_id}/results?format=csv", headers=headers
    ) as reply:
        reply.raise_for_status()
        async for piece in reply.aiter_bytes():
            lines += piece.count(b"\n")
    return lines - 1, time.perf_counter() - started


async def run(stack: Stack, launcher_pid: int) -> None:
    metadata = [("authorization", f"Bearer {await token(stack)}")]
    data = dataset_csv(ROWS)
    watch = MemoryWatch(launcher_pid)
    sampler = asyncio.create_task(watch.run())
    async with (
        grpc.aio.insecure_channel(stack.addresses["datasets"]) as ds,
        grpc.aio.insecure_channel(stack.addresses["tasks"]) as ts,
    ):
        started = time.perf_counter()
        dataset_id = await upload(datasets_service_pb2_grpc.DatasetsServiceStub(ds), metadata, data)
        uploaded = time.perf_counter()
        tasks = tasks_service_pb2_grpc.TasksServiceStub(ts)
        created = await tasks.CreateTask(
            pb.CreateTaskRequest(
                batch=pb.BatchTaskSpec(model="diabetes-progression", dataset_id=dataset_id)
            ),
            metadata=metadata,
        )
        async for update in tasks.WatchTask(
            pb.WatchTaskRequest(task_id=created.task.id), metadata=metadata
        ):
            event = update.event
            progress = event.task.progress if event.HasField("task") else event.progress
            if progress.total:
                watch.fraction = progress.done / progress.total
            if event.HasField("task") and event.task.status in (
                types.TASK_STATUS_READY,
                types.TASK_STATUS_ERROR,
                types.TASK_STATUS_CANCELLED,
            ):
                done = event.task
                break
        finished = time.perf_counter()
        # Failed rows count as done: a bench of rows refused before the model (as every CSV
        # row was until 2026-12-07: "must be a number, got str") measures no Predict at all.
        if done.status != types.TASK_STATUS_READY or done.progress.done != ROWS:
            raise RuntimeError(f"the task ended as {done}")
        if done.progress.failed:
            raise RuntimeError(f"{done.progress.failed:,} rows failed: {done}")
        headers = {"Authorization": metadata[0][1]}
        exports = []  # (rows, seconds) of each whole export: the same file, EXPORTS times
        async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=600) as http:
            for _ in range(EXPORTS):
                exports.append(await export_csv(http, created.task.id, headers))
    sampler.cancel()
    print(f"\nScale: one batch task of {ROWS:,} rows (diabetes-progression, 10 columns)\n")
    print(f"upload   {len(data) / 2**20:,.0f} MiB in {uploaded - started:,.1f} s")
    print(
        f"task     {ROWS:,} rows in {finished - uploaded:,.1f} s "
        f"({ROWS / (finished - uploaded):,.0f} rows/s), ready"
    )
    for rows, seconds in exports:
        print(
            f"export   {rows:,} CSV rows streamed in {seconds:,.1f} s "
            f"({rows / seconds:,.0f} rows/s)"
        )
    rates = sorted(rows / seconds for rows, seconds in exports)
    print(f"export   median {rates[len(rates) // 2]:,.0f} rows/s of {len(rates)}\n")
    widths = (22, 12, 14, 14)
    header = ("process", "peak RSS", "RSS at 25 %", "RSS at 100 %")
    for row in (header, *watch.report()):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def main() -> None:
    # ~80 MiB of CSV for a million rows: above the default 50 MiB upload limit.
    with running_stack(DATASETS_MAX_UPLOAD_BYTES=str(512 * 2**20)) as stack:
        asyncio.run(run(stack, stack.launcher_pid))


if __name__ == "__main__":
    main()
