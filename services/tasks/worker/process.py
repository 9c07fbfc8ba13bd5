"""Wiring of the worker: the same health/metrics bootstrap as the services, no public RPCs."""

from inferlane.common.db import make_engine, readiness_check
from inferlane.common.grpc.server import GrpcProcess
from inferlane.common.nats import NatsConnection
from services.tasks.process import nats_check
from services.tasks.worker.settings import WorkerSettings


async def build(settings: WorkerSettings) -> GrpcProcess:
    engine = make_engine(settings.database_url, pool_size=4)
    nats = NatsConnection(settings.nats_url, name="tasks-worker")
    nats.start()
    return GrpcProcess(
        name="tasks-worker",
        settings=settings,
        checks={"postgres": readiness_check(engine), "nats": nats_check(nats)},
        on_stop=[nats.close, engine.dispose],
    )
