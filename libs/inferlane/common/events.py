"""Publishing a service's events: its outbox relay, started once its streams exist."""

import asyncio
import dataclasses
from collections.abc import Sequence

import structlog
from nats.js.api import StreamConfig
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.nats import NatsConnection, ensure_stream
from inferlane.common.outbox_relay import OutboxRelay, PublishedRider

log = structlog.get_logger("inferlane.events")


class EventPublisher:
    """Owns the NATS connection and relay of one service's outbox. NATS may be down at start:
    events wait in the outbox (committed with their state change) until it is back."""

    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        nats_url: str,
        *,
        name: str,
        streams: Sequence[StreamConfig],
        replicas: int = 1,
        on_published: PublishedRider | None = None,
    ) -> None:
        self.nats = NatsConnection(nats_url, name=f"{name}-outbox")
        self.relay = OutboxRelay(
            engine, outbox, self.nats, name=name, on_published=on_published, listen=True
        )
        self._streams = [dataclasses.replace(s, num_replicas=replicas) for s in streams]

    def notify(self) -> None:
        """Wake the relay right after a commit that wrote an event."""
        self.relay.notify()

    async def run(self) -> None:
        self.nats.start()
        while True:
            try:
                await self.nats.wait_connected(3600)
                for config in self._streams:
                    await ensure_stream(self.nats.jetstream, config)
                break
            except Exception as exc:  # NATS went away while declaring: try again shortly
                log.warning("declaring streams failed", error=str(exc))
                await asyncio.sleep(1)
        await self.relay.run()

    async def close(self) -> None:
        await self.relay.close()
        await self.nats.close()
