"""Wiring of the tasks process: database, NATS JetStream, servicer, health checks."""

import structlog

from inferlane.common.auth.remote import interceptor, remote_keys
from inferlane.common.db import make_engine, readiness_check
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.common.nats import NatsConnection
from inferlane.tasks.v1 import tasks_service_pb2_grpc
from services.tasks.servicer import SERVICE_NAME, TasksServicer
from services.tasks.settings import TasksSettings
from services.tasks.streams import declare_streams

log = structlog.get_logger(__name__)


def nats_check(connection: NatsConnection):
    """Ready once connected and the task streams exist (declared on the first success)."""
    declared = False

    async def check() -> bool:
        nonlocal declared
        if not await connection.is_ready():
            return False
        if not declared:
            await declare_streams(connection.jetstream)
            declared = True
        return True

    return check


async def build(settings: TasksSettings) -> GrpcProcess:
    keys = remote_keys(settings)
    engine = make_engine(settings.database_url)
    nats = NatsConnection(settings.nats_url, name="tasks")
    nats.start()
    return GrpcProcess(
        name="tasks",
        settings=settings,
        registrations=[
            Registration(
                SERVICE_NAME,
                tasks_service_pb2_grpc.add_TasksServiceServicer_to_server,
                TasksServicer(),  # type: ignore[abstract]  # RPCs still UNIMPLEMENTED,
            )
        ],
        checks={"postgres": readiness_check(engine), "nats": nats_check(nats)},
        auth=interceptor(keys),
        on_stop=[keys.close, nats.close, engine.dispose],
    )
