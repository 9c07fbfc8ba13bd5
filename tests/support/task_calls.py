"""Helpers for the tasks gRPC API: create, wait, read every result."""

import asyncio
import csv
import io
import time
from typing import Any

import grpc
from google.protobuf import struct_pb2

from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_service_pb2_grpc
from inferlane.tasks.v1 import tasks_types_pb2 as types

TERMINAL = {types.TASK_STATUS_READY, types.TASK_STATUS_ERROR, types.TASK_STATUS_CANCELLED}


def stub(channel: grpc.aio.Channel) -> tasks_service_pb2_grpc.TasksServiceStub:
    return tasks_service_pb2_grpc.TasksServiceStub(channel)


def reviews_csv(n: int, *, column: str = "review") -> bytes:
    """n short reviews, a third each of clearly positive, negative and mixed."""
    texts = [
        "Absolutely love it, works perfectly and arrived early.",
        "Terrible quality, it broke on the first day. Do not buy.",
        "It is okay. Does the job, nothing special.",
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", column])
    for i in range(n):
        writer.writerow([i, f"{texts[i % 3]} (#{i})"])
    return out.getvalue().encode()


async def create_single(
    channel, metadata, text: str, *, model: str = "sentiment", key: str = "", version: str = ""
):
    single = pb.SingleTaskSpec(model=model, input=struct_pb2.Struct(), version=version)
    single.input.update({"text": text})
    reply = await stub(channel).CreateTask(
        pb.CreateTaskRequest(single=single, idempotency_key=key), metadata=metadata
    )
    return reply.task


async def create_batch(
    channel,
    metadata,
    dataset_id: str,
    *,
    column: str = "",
    limit: int | None = None,
    model: str = "sentiment",
    key: str = "",
    version: str = "",
    label_column: str = "",
):
    batch = pb.BatchTaskSpec(
        model=model,
        dataset_id=dataset_id,
        column=column,
        version=version,
        label_column=label_column,
    )
    if limit is not None:
        batch.limit = limit
    reply = await stub(channel).CreateTask(
        pb.CreateTaskRequest(batch=batch, idempotency_key=key), metadata=metadata
    )
    return reply.task


async def get(channel, metadata, task_id: str) -> types.Task:
    return (await stub(channel).GetTask(pb.GetTaskRequest(task_id=task_id), metadata=metadata)).task


async def wait_for(channel, metadata, task_id: str, statuses=TERMINAL, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        task = await get(channel, metadata, task_id)
        if task.status in statuses:
            return task
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task_id} still {types.TaskStatus.Name(task.status)}")
        await asyncio.sleep(0.1)


async def all_results(channel, metadata, task_id: str) -> list[types.TaskResult]:
    results: list[types.TaskResult] = []
    token = ""
    while True:
        reply = await stub(channel).ListResults(
            pb.ListResultsRequest(task_id=task_id, page_size=100, page_token=token),
            metadata=metadata,
        )
        results.extend(reply.results)
        token = reply.next_page_token
        if not token:
            return results


async def export(channel, metadata, task_id: str, fmt: int) -> bytes:
    chunks: list[bytes] = []
    async for reply in stub(channel).ExportResults(
        pb.ExportResultsRequest(task_id=task_id, format=fmt), metadata=metadata
    ):
        chunks.append(reply.chunk)
    return b"".join(chunks)


def status_name(task: Any) -> str:
    return types.TaskStatus.Name(task.status)


async def audit_trail(channel, metadata, task_id: str, page_size: int = 100) -> list[Any]:
    """Every entry of a task's audit trail, oldest first, page by page."""
    entries: list[Any] = []
    token = ""
    while True:
        reply = await stub(channel).GetTaskAudit(
            pb.GetTaskAuditRequest(task_id=task_id, page_size=page_size, page_token=token),
            metadata=metadata,
        )
        entries.extend(reply.entries)
        token = reply.next_page_token
        if not token:
            return entries
