"""A durable JetStream pull consumer that outlives NATS restarts: bind (declaring the consumer),
fetch (in batches only from a backlog: PromptFetch), hand each message to `handle`, which acks
it once its work is committed."""

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError

from inferlane.common.nats import NatsConnection, PromptFetch, ensure_consumer

log = structlog.get_logger(__name__)

FETCH = 64


async def consume(
    connection: NatsConnection,
    stream: str,
    config: ConsumerConfig,
    handle: Callable[[Msg], Awaitable[None]],
    closing: Callable[[], bool],
) -> None:
    """Runs until `closing()` says so; NATS going away only pauses it."""
    while not closing():
        try:
            await connection.wait_connected(3600)
            await ensure_consumer(connection.jetstream, stream, config)
            subscription = await connection.jetstream.pull_subscribe_bind(
                config.durable_name or "", stream=stream
            )
            fetch = PromptFetch(subscription, timeout=1.0)
            while not closing():
                try:
                    messages = await fetch(FETCH)
                except TimeoutError:
                    # A dead connection times out at once: without a pause this loop would spin.
                    if not connection.client or not connection.client.is_connected:
                        await asyncio.sleep(0.5)
                    continue
                for message in messages:
                    await handle(message)
        except NotFoundError:
            await asyncio.sleep(1)  # the stream's owner has not declared it yet
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # NATS restarting: bind again shortly
            log.warning("event consumer interrupted", consumer=config.durable_name, error=str(exc))
            await asyncio.sleep(1)
