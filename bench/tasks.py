"""Task benchmarks: a batch task end to end, and a single task's platform overhead.

T-M1: rows/s of a batch task (submit -> ready, every result stored) ÷ rows/s of direct
tritonclient batch calls on the same rows (batch 64, 4 in flight), and ÷ L0 (in-process);
the Celery + Redis leg runs the same rows as 64-row tasks. The four legs are interleaved
in rounds (bench/rounds.py).
T-M5: p50 of a single task's submit -> ready (seen through WatchTask) minus p50 of one direct
Triton call for the same review: what queueing, the worker and storage add. Alongside, a
Celery task with the same review minus the same review in-process: Celery's own overhead.
"""

import csv
import io
import itertools
import os
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import tritonclient.grpc.aio as triton_aio
from google.protobuf import struct_pb2

from bench import celery_leg
from bench.inference import in_flight, reviews, token, triton_request
from bench.inprocess import InProcess
from bench.rounds import compared, interleaved, percentile
from bench.stack import Stack
from inferlane.datasets.v1 import datasets_service_pb2 as datasets_pb
from inferlane.datasets.v1 import datasets_service_pb2_grpc
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_service_pb2_grpc
from inferlane.tasks.v1 import tasks_types_pb2 as types

ROWS = int(os.environ.get("BENCH_TASK_ROWS", "4096"))  # per leg and round
DIRECT_BATCH, DIRECT_IN_FLIGHT = 64, 4
SINGLE_SAMPLES = int(os.environ.get("BENCH_SINGLE_SAMPLES", "50"))
LAST_STAGES: dict[str, float] = {}  # p50 ms of a single task's stages, for the report
TERMINAL = {types.TASK_STATUS_READY, types.TASK_STATUS_ERROR, types.TASK_STATUS_CANCELLED}


def csv_bytes(texts: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["review"])
    writer.writerows([t] for t in texts)
    return out.getvalue().encode()


async def upload(stub, metadata, data: bytes) -> str:
    async def messages():
        yield datasets_pb.UploadDatasetRequest(
            metadata=datasets_pb.UploadMetadata(filename="bench.csv")
        )
        for i in range(0, len(data), 1 << 16):
            yield datasets_pb.UploadDatasetRequest(chunk=data[i : i + (1 << 16)])

    return (await stub.UploadDataset(messages(), metadata=metadata)).dataset.id


@dataclass
class ReviewDataset:
    """A signed-in bench user's dataset of `texts` (column `review`) and a tasks stub."""

    tasks: Any  # a TasksServiceStub on an aio channel (its generated types are the sync ones)
    metadata: list[tuple[str, str]]
    dataset_id: str
    texts: list[str]


@asynccontextmanager
async def review_dataset(stack: Stack, rows: int) -> AsyncIterator[ReviewDataset]:
    """`rows` dev reviews (2,048 distinct, repeated) uploaded as a fresh user's dataset."""
    base = reviews(2048)
    texts = [base[i % len(base)] for i in range(rows)]
    metadata = [("authorization", f"Bearer {await token(stack)}")]
    async with (
        grpc.aio.insecure_channel(stack.addresses["datasets"]) as ds,
        grpc.aio.insecure_channel(stack.addresses["tasks"]) as ts,
    ):
        datasets = datasets_service_pb2_grpc.DatasetsServiceStub(ds)
        dataset_id = await upload(datasets, metadata, csv_bytes(texts))
        yield ReviewDataset(
            tasks_service_pb2_grpc.TasksServiceStub(ts), metadata, dataset_id, texts
        )


async def until_terminal(stub, metadata, task_id: str) -> types.Task:
    async for update in stub.WatchTask(pb.WatchTaskRequest(task_id=task_id), metadata=metadata):
        if update.event.HasField("task") and update.event.task.status in TERMINAL:
            return update.event.task
    return (await stub.GetTask(pb.GetTaskRequest(task_id=task_id), metadata=metadata)).task


async def run(stack: Stack, l0: InProcess) -> list[tuple[str, str, str, str, str]]:
    triton = triton_aio.InferenceServerClient(stack.triton_url)
    async with review_dataset(stack, ROWS) as dataset:
        tasks, metadata = dataset.tasks, dataset.metadata
        dataset_id, texts = dataset.dataset_id, dataset.texts
        batches = [texts[i : i + DIRECT_BATCH] for i in range(0, ROWS, DIRECT_BATCH)]

        def direct(batch: list[str]) -> Callable[[], Awaitable[object]]:
            return lambda: triton.infer("sentiment", triton_request(batch))

        async def direct_leg() -> float:
            return ROWS / await in_flight([direct(b) for b in batches], DIRECT_IN_FLIGHT)

        async def task_leg() -> float:
            start = time.perf_counter()
            created = await tasks.CreateTask(
                pb.CreateTaskRequest(
                    batch=pb.BatchTaskSpec(
                        model="sentiment", dataset_id=dataset_id, column="review"
                    )
                ),
                metadata=metadata,
            )
            done = await until_terminal(tasks, metadata, created.task.id)
            if done.status != types.TASK_STATUS_READY or done.progress.done != ROWS:
                raise RuntimeError(f"the batch task ended as {done}")
            return ROWS / (time.perf_counter() - start)

        async def in_process() -> float:
            return l0.rows_per_s(texts)

        async def celery() -> float:
            return ROWS / celery_leg.batch_seconds(batches)

        legs = await interleaved(
            {"direct": direct_leg, "L0": in_process, "task": task_leg, "celery": celery}
        )

        samples: dict[str, list[float]] = {"direct": [], "task": [], "L0": [], "celery": []}
        stages: dict[str, list[float]] = {"queue": [], "pickup": [], "run": []}
        for text in texts[:SINGLE_SAMPLES]:  # the four kinds of call alternate
            start = time.perf_counter()
            await triton.infer("sentiment", triton_request([text]))
            samples["direct"].append((time.perf_counter() - start) * 1000)
            single = pb.SingleTaskSpec(model="sentiment", input=struct_pb2.Struct())
            single.input.update({"text": text})
            start = time.perf_counter()
            created = await tasks.CreateTask(pb.CreateTaskRequest(single=single), metadata=metadata)
            finished = await until_terminal(tasks, metadata, created.task.id)
            samples["task"].append((time.perf_counter() - start) * 1000)
            samples["L0"].append(l0.seconds([text]) * 1000)
            samples["celery"].append(celery_leg.single_ms(text))
            stamps = [
                t.ToDatetime()
                for t in (
                    finished.created_at,
                    finished.queued_at,
                    finished.started_at,
                    finished.finished_at,
                )
            ]
            for name, (a, b) in zip(stages, itertools.pairwise(stamps), strict=True):
                stages[name].append((b - a).total_seconds() * 1000)
    await triton.close()
    global LAST_STAGES
    LAST_STAGES = {name: statistics.median(v) for name, v in stages.items()}
    p50 = {name: statistics.median(v) for name, v in samples.items()}
    p99 = {name: percentile(v, 99) for name, v in samples.items()}
    return [
        compared(
            f"T-M1 batch task ÷ direct, {ROWS:,} rows", legs["task"], legs["direct"], "≥ 0.95"
        ),
        compared("T-M1 batch task ÷ L0", legs["task"], legs["L0"], "≥ 0.80"),
        compared("Celery batch ÷ L0 (64-row tasks)", legs["celery"], legs["L0"], "-"),
        (
            "T-M5 single task, p50 (p99)",
            f"{p50['task']:.1f} ms ({p99['task']:.0f})",
            f"{p50['direct']:.1f} ms",
            f"+{p50['task'] - p50['direct']:.1f} ms",
            "≤ +7 ms",
        ),
        (
            "Celery single task, p50 (p99) ÷ L0",
            f"{p50['celery']:.1f} ms ({p99['celery']:.0f})",
            f"{p50['L0']:.1f} ms",
            f"+{p50['celery'] - p50['L0']:.1f} ms (p99 +{p99['celery'] - p50['L0']:.0f})",
            "-",
        ),
    ]
