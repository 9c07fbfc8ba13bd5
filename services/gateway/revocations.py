"""API-key revocations from every auth replica, heard by every gateway replica.

The auth service publishes `auth.api_key.revoked` (through its outbox) when a key is revoked;
each gateway subscribes and drops the key from its cache, so a key revoked through one
replica stops working on all of them, not up to a minute later. While this gateway is not
subscribed it serves no key from its cache, and after a reconnect none cached before it
(revocations sent in between were missed): asking auth again is always safe.
"""

import asyncio
import contextlib

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg

from inferlane.common.nats import NatsConnection
from inferlane.events.v1 import events_pb2

from .security import ApiKeyCache

log = structlog.get_logger("inferlane.gateway.revocations")

SUBJECT = "auth.api_key.revoked"


class RevocationListener:
    def __init__(self, nats: NatsConnection, cache: ApiKeyCache) -> None:
        self._nats = nats
        self._cache = cache
        self._client: Client | None = None
        self._task: asyncio.Task[None] | None = None
        cache.generation = self.generation

    def generation(self) -> int | None:
        """None unless subscribed and connected; else the client's reconnect count."""
        client = self._client
        if client is None or not client.is_connected:
            return None
        return int(client.stats["reconnects"])

    def start(self) -> None:
        self._task = asyncio.create_task(self._subscribe(), name="api-key-revocations")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _subscribe(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                client = await self._nats.wait_connected(60)
                break
        await client.subscribe(SUBJECT, cb=self._on_message)
        await client.flush()  # the server has the subscription: from now on nothing is missed
        self._client = client
        log.info("listening for API-key revocations")

    async def _on_message(self, msg: Msg) -> None:
        event = events_pb2.ApiKeyRevoked()
        try:
            event.ParseFromString(msg.data)
        except Exception:  # a malformed message must not stop the subscription
            log.warning("unreadable revocation event")
            return
        self._cache.forget(event.api_key_id)
