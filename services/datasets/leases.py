"""Which datasets running tasks are reading, learnt from the tasks service's events.

A durable JetStream consumer reads tasks.task.*: `created` or `resumed` (with a dataset) takes
a lease, `completed` / `failed` / `cancelled` releases it. Each message is acked after its database
commit, and both writes are idempotent, so redelivery is harmless.
"""

import asyncio
import uuid
from typing import Any

import structlog
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inferlane.common.nats import NatsConnection, ensure_consumer
from inferlane.events.v1 import events_pb2
from services.datasets.tables import dataset_leases

log = structlog.get_logger(__name__)

STREAM = "TASKS_EVENTS"  # declared by the tasks service
CONSUMER = ConsumerConfig(
    durable_name="datasets-leases",
    filter_subject="tasks.task.>",
    ack_policy=AckPolicy.EXPLICIT,
    deliver_policy=DeliverPolicy.ALL,
    ack_wait=30.0,
    max_deliver=-1,
)
TAKING: dict[str, Any] = {
    "tasks.task.created": events_pb2.TaskCreated,
    "tasks.task.resumed": events_pb2.TaskResumed,  # a failed task replayed
}
RELEASING: dict[str, Any] = {
    "tasks.task.completed": events_pb2.TaskCompleted,
    "tasks.task.failed": events_pb2.TaskFailed,
    "tasks.task.cancelled": events_pb2.TaskCancelled,
}


async def is_leased(conn: AsyncConnection, dataset_id: uuid.UUID) -> bool:
    stmt = select(exists().where(dataset_leases.c.dataset_id == dataset_id))
    return bool((await conn.execute(stmt)).scalar())


async def apply(conn: AsyncConnection, subject: str, payload: bytes) -> None:
    if subject in TAKING:
        taking = TAKING[subject].FromString(payload)
        if taking.dataset_id:
            values = {
                "task_id": uuid.UUID(taking.task_id),
                "dataset_id": uuid.UUID(taking.dataset_id),
            }
            await conn.execute(insert(dataset_leases).values(**values).on_conflict_do_nothing())
    elif subject in RELEASING:
        task_id = uuid.UUID(RELEASING[subject].FromString(payload).task_id)
        await conn.execute(delete(dataset_leases).where(dataset_leases.c.task_id == task_id))


class LeaseConsumer:
    def __init__(self, engine: AsyncEngine, nats_url: str) -> None:
        self._engine = engine
        self.nats = NatsConnection(nats_url, name="datasets-leases")
        self._closing = False

    async def run(self) -> None:
        self.nats.start()
        while not self._closing:
            try:
                await self.nats.wait_connected(3600)
                await ensure_consumer(self.nats.jetstream, STREAM, CONSUMER)
                subscription = await self.nats.jetstream.pull_subscribe_bind(
                    CONSUMER.durable_name or "", stream=STREAM
                )
                await self._consume(subscription)
            except NotFoundError:
                await asyncio.sleep(1)  # the tasks service has not declared its stream yet
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS restarting: bind again shortly
                log.warning("lease consumer interrupted", error=str(exc))
                await asyncio.sleep(1)

    async def _consume(self, subscription: JetStreamContext.PullSubscription) -> None:
        while not self._closing:
            try:
                messages = await subscription.fetch(64, timeout=1)
            except TimeoutError:
                # A dead connection times out at once: without a pause this loop would spin.
                if not self.nats.client or not self.nats.client.is_connected:
                    await asyncio.sleep(0.5)
                continue
            for message in messages:
                async with self._engine.begin() as conn:
                    await apply(conn, message.subject, message.data)
                await message.ack()

    async def close(self) -> None:
        self._closing = True
        await self.nats.close()
