"""The whole task pipeline in one test process: auth, datasets, inference, tasks and a worker,
each built by its real `build()` on port 0, against real PostgreSQL, NATS and Triton."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from inferlane.common.auth import api_key_shape
from inferlane.common.db import psycopg_url
from inferlane.common.grpc.server import GrpcProcess
from inferlane.tasks.v1 import tasks_service_pb2_grpc
from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from services.inference.process import build as build_inference
from services.inference.settings import InferenceSettings
from services.tasks.process import build as build_tasks
from services.tasks.settings import TasksSettings
from services.tasks.worker.process import build as build_worker
from services.tasks.worker.settings import WorkerSettings
from tests.support.in_process import fast

Starter = Callable[[Callable[[Any], Awaitable[GrpcProcess]], Any], Awaitable[GrpcProcess]]
TASK_TABLES = "tasks.tasks, tasks.outbox, tasks.dead_letters, tasks.task_audit"


async def clean_tasks_schema(database_url: str) -> None:
    """Tasks of earlier tests (and their unpublished work) must not reach this test's worker."""
    engine = create_async_engine(psycopg_url(database_url))
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {TASK_TABLES} CASCADE"))
    await engine.dispose()


@dataclass
class TaskStack:
    auth: GrpcProcess
    datasets: GrpcProcess
    inference: GrpcProcess
    tasks: GrpcProcess
    workers: list[GrpcProcess]
    settings: dict[str, Any]

    def channel(self, process: GrpcProcess) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(process.address)

    def tasks_stub(self, channel: grpc.aio.Channel) -> tasks_service_pb2_grpc.TasksServiceStub:
        return tasks_service_pb2_grpc.TasksServiceStub(channel)


def worker_settings(stack_settings: dict[str, Any], **extra: Any) -> WorkerSettings:
    values = {
        "retry_base_seconds": 0.2,
        "retry_max_seconds": 1.0,
        "progress_interval_seconds": 0.05,
        **stack_settings["worker"],
        **extra,
    }
    return fast(WorkerSettings, **values)


@dataclass
class Peers:
    """What the tasks service and its workers call: auth, datasets and inference."""

    auth: GrpcProcess
    datasets: GrpcProcess
    inference: GrpcProcess
    service_key: str  # the tasks-worker service account's API key, known to auth


async def start_peers(
    start: Starter,
    *,
    database_url: str,
    nats_url: str,
    triton_url: str,
    work_dir: Path,
    model_repository: Path | None = None,
) -> Peers:
    await clean_tasks_schema(database_url)
    key = api_key_shape.generate()
    common = {"database_url": database_url, "nats_url": nats_url}
    auth = await start(
        build_auth,
        fast(
            AuthSettings,
            signing_key_file=work_dir / "signing-key.pem",
            service_accounts={"tasks-worker": key},
            **common,
        ),
    )
    peers = {"auth_addr": auth.address}
    datasets = await start(
        build_datasets,
        fast(DatasetsSettings, storage_dir=work_dir / "blobs", **common, **peers),
    )
    repository = {"model_repository": model_repository} if model_repository else {}
    inference = await start(
        build_inference, fast(InferenceSettings, triton_url=triton_url, **peers, **repository)
    )
    return Peers(auth, datasets, inference, key)


async def start_task_stack(
    start: Starter,
    *,
    database_url: str,
    nats_url: str,
    triton_url: str,
    work_dir: Path,
    workers: int = 1,
    tasks_extra: dict[str, Any] | None = None,
    worker_extra: dict[str, Any] | None = None,
    model_repository: Path | None = None,
) -> TaskStack:
    started_peers = await start_peers(
        start,
        database_url=database_url,
        nats_url=nats_url,
        triton_url=triton_url,
        work_dir=work_dir,
        model_repository=model_repository,
    )
    auth, datasets, inference = started_peers.auth, started_peers.datasets, started_peers.inference
    key = started_peers.service_key
    common = {"database_url": database_url, "nats_url": nats_url}
    peers = {"auth_addr": auth.address}
    addresses = {"datasets_addr": datasets.address, "inference_addr": inference.address}
    tasks = await start(
        build_tasks,
        fast(
            TasksSettings,
            watch_poll_seconds=0.2,
            **common,
            **peers,
            **addresses,
            **(tasks_extra or {}),
        ),
    )
    settings = {
        "worker": {"service_key": key, **common, **peers, **addresses, **(worker_extra or {})}
    }
    started = [await start(build_worker, worker_settings(settings)) for _ in range(workers)]
    return TaskStack(auth, datasets, inference, tasks, started, settings)
