"""Wiring of the worker: JetStream consumer, chunk runner, peers, and the same health/metrics
bootstrap as the services (no public RPCs)."""

import grpc

from inferlane.common.aimd import AdaptiveLimit
from inferlane.common.auth.service_credentials import ServiceCredentials
from inferlane.common.db import make_engine, readiness_check
from inferlane.common.grpc.client import channel
from inferlane.common.grpc.server import GrpcProcess
from inferlane.common.migrations import schema_check
from inferlane.common.nats import NatsConnection
from services.tasks.peers import Peers
from services.tasks.process import nats_check
from services.tasks.vector_index import VectorIndexes
from services.tasks.worker.chunks import ChunkRunner
from services.tasks.worker.consumer import WorkConsumer
from services.tasks.worker.gate import ReadyGate
from services.tasks.worker.progress import ProgressPublisher
from services.tasks.worker.settings import WorkerSettings


async def build(settings: WorkerSettings) -> GrpcProcess:
    if settings.service_key is None:
        raise SystemExit(
            "TASKS_WORKER_SERVICE_KEY is not set: the worker needs a service account's API key"
            " (auth's AUTH_SERVICE_ACCOUNTS) to read datasets for task owners"
        )
    # A chunk holds a connection only to read and to store, not while the model runs: many
    # single tasks in flight share a few connections.
    engine = make_engine(settings.database_url, pool_size=min(settings.concurrency, 32) + 2)
    nats = NatsConnection(settings.nats_url, name="tasks-worker")
    nats.start()
    auth, datasets, inference = (
        channel(settings.auth_addr),
        channel(settings.datasets_addr),
        channel(settings.inference_addr),
    )
    credentials = ServiceCredentials(auth, settings.service_key.get_secret_value())
    floor = max(1, min(settings.predict_rows, settings.rows_in_flight) // MIN_CALL_FRACTION)
    start = max(floor, settings.rows_in_flight)

    def rows() -> AdaptiveLimit:
        return AdaptiveLimit(
            floor=floor,
            initial=start,
            ceiling=max(start, settings.max_rows_in_flight),
            target_seconds=settings.target_latency_seconds,
            busy=_busy,
        )

    indexes = (
        VectorIndexes(engine, settings.vector_index_min_rows) if settings.store_vectors else None
    )
    runner = ChunkRunner(
        engine,
        Peers(datasets, inference, rows=rows),
        credentials.metadata,
        predict_rows=settings.predict_rows,
        max_predict_rows=max(settings.predict_rows, settings.max_predict_rows),
        batch_chunks=settings.batch_chunks,
        on_progress=ProgressPublisher(nats, settings.progress_interval_seconds),
        vector_indexes=indexes,
    )
    gate = ReadyGate(inference, settings.health_interval_seconds)
    consumer = WorkConsumer(
        nats,
        runner,
        gate,
        concurrency=settings.concurrency,
        max_attempts=settings.max_attempts,
        retry_budget=settings.retry_budget_seconds,
        retry_base=settings.retry_base_seconds,
        retry_max=settings.retry_max_seconds,
        ack_wait=settings.ack_wait_seconds,
    )

    async def close_channels() -> None:
        for ch in (auth, datasets, inference):
            await ch.close(None)

    return GrpcProcess(
        name="tasks-worker",
        settings=settings,
        checks={
            "postgres": readiness_check(engine),
            "schema": schema_check(engine, "tasks"),
            "nats": nats_check(nats, settings.nats_stream_replicas),
        },
        background=[consumer.run, gate.run],  # the consumer first: tests reach it there
        on_stop=[
            consumer.close,
            *([indexes.close] if indexes else []),
            close_channels,
            nats.close,
            engine.dispose,
        ],
    )


# On a model slow enough, Predict calls shrink to this fraction of PREDICT_ROWS, so one call
# still answers inside Triton's deadline (at ~10 rows/s, 64 rows would not fit in 5 s).
MIN_CALL_FRACTION = 8
_BUSY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def _busy(exc: BaseException) -> bool:
    """A Predict refused as busy (Triton's deadline passed) or unanswered: fewer rows in flight."""
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() in _BUSY
