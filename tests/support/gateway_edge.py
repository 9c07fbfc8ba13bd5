"""The gateway app in-process behind httpx, for tests that speak REST to it."""

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from asgi_lifespan import LifespanManager

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings

BASE_URL = "http://gateway.test"


@dataclass
class Edge:
    """One gateway app; each `browser()` is a separate client with its own cookie jar."""

    transport: httpx.ASGITransport
    opened: list[httpx.AsyncClient] = field(default_factory=list)

    def browser(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=self.transport, base_url=BASE_URL)
        self.opened.append(client)
        return client


@asynccontextmanager
async def gateway(settings: GatewaySettings) -> AsyncIterator[Edge]:
    """Like test_readyz's helper, with a client address of its own: the login throttle counts
    failures per address in the shared database, so tests must not share one."""
    app = create_app(settings)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    async with LifespanManager(app) as manager:
        edge = Edge(httpx.ASGITransport(app=manager.app, client=(address, 40000)))
        try:
            yield edge
        finally:
            for client in edge.opened:
                await client.aclose()


def gateway_settings(auth_address: str, db: str, nats: str, **values: object) -> GatewaySettings:
    return GatewaySettings(
        auth_addr=auth_address,
        database_url=db,
        nats_url=nats,
        **values,  # type: ignore[arg-type]
    )
