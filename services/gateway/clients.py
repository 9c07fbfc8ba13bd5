"""Everything the gateway talks to, opened once per process in the lifespan and closed on exit."""

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.auth.v1 import auth_service_pb2_grpc
from inferlane.common.admission import Admission
from inferlane.common.db import make_engine
from inferlane.common.grpc.client import channel
from inferlane.common.nats import NatsConnection
from inferlane.datasets.v1 import datasets_service_pb2_grpc
from inferlane.inference.v1 import inference_service_pb2_grpc
from inferlane.tasks.v1 import tasks_service_pb2_grpc

from .settings import GatewaySettings

if TYPE_CHECKING:
    # Only the stubs know it: on an aio channel, the stub's methods are awaitable.
    from inferlane.auth.v1.auth_service_pb2_grpc import AuthServiceAsyncStub
    from inferlane.datasets.v1.datasets_service_pb2_grpc import DatasetsServiceAsyncStub
    from inferlane.inference.v1.inference_service_pb2_grpc import InferenceServiceAsyncStub
    from inferlane.tasks.v1.tasks_service_pb2_grpc import TasksServiceAsyncStub
else:
    AuthServiceAsyncStub = auth_service_pb2_grpc.AuthServiceStub
    DatasetsServiceAsyncStub = datasets_service_pb2_grpc.DatasetsServiceStub
    InferenceServiceAsyncStub = inference_service_pb2_grpc.InferenceServiceStub
    TasksServiceAsyncStub = tasks_service_pb2_grpc.TasksServiceStub


@dataclass(frozen=True)
class Clients:
    """One channel per service (they carry the request id), NATS and a tiny database pool."""

    auth: grpc.aio.Channel
    datasets: grpc.aio.Channel
    tasks: grpc.aio.Channel
    inference: grpc.aio.Channel
    nats: NatsConnection
    # The gateway owns no tables; the engine exists so /readyz can tell whether PostgreSQL answers.
    engine: AsyncEngine
    # Task creations in flight to the tasks service: a burst waits here, and what cannot be
    # sent in time is refused (503) before the tasks service's backlog eats its deadline.
    creations: Admission

    @classmethod
    def open(cls, settings: GatewaySettings) -> "Clients":
        """Waits for no peer: channels and the engine connect lazily and NATS in the
        background, so the gateway starts (and says "not ready") while peers are down."""
        nats = NatsConnection(settings.nats_url, name="gateway")
        nats.start()
        return cls(
            auth=channel(settings.auth_addr),
            datasets=channel(settings.datasets_addr),
            tasks=channel(settings.tasks_addr),
            inference=channel(settings.inference_addr),
            nats=nats,
            engine=make_engine(settings.database_url, pool_size=2),
            creations=Admission(
                "CreateTask",
                limit=settings.create_concurrency,
                max_wait=settings.create_queue_seconds,
            ),
        )

    # One stub per channel, built on first use: building one makes a callable per RPC, which
    # was a seventh of the gateway's time per request when each request built its own.
    @cached_property
    def auth_stub(self) -> AuthServiceAsyncStub:
        return AuthServiceAsyncStub(self.auth)

    @cached_property
    def datasets_stub(self) -> DatasetsServiceAsyncStub:
        return DatasetsServiceAsyncStub(self.datasets)

    @cached_property
    def inference_stub(self) -> InferenceServiceAsyncStub:
        return InferenceServiceAsyncStub(self.inference)

    @cached_property
    def tasks_stub(self) -> TasksServiceAsyncStub:
        return TasksServiceAsyncStub(self.tasks)

    @property
    def services(self) -> dict[str, grpc.aio.Channel]:
        return {
            "auth": self.auth,
            "datasets": self.datasets,
            "tasks": self.tasks,
            "inference": self.inference,
        }

    async def close(self) -> None:
        for ch in self.services.values():
            await ch.close(None)
        await self.nats.close()
        await self.engine.dispose()
