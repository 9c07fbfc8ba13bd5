"""Everything the gateway talks to, opened once per process in the lifespan and closed on exit."""

from dataclasses import dataclass

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.db import make_engine
from inferlane.common.grpc.client import channel
from inferlane.common.nats import NatsConnection

from .settings import GatewaySettings


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
        )

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
