"""Which datasets running tasks are reading, learnt from the tasks service's events.

A durable JetStream consumer reads tasks.task.*: `created` or `resumed` (with a dataset) takes
a lease, `completed` / `failed` / `cancelled` releases it. Each message is acked after its database
commit, and both writes are idempotent, so redelivery is harmless.
"""

import uuid
from typing import Any

from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inferlane.common.event_consumer import consume
from inferlane.common.nats import NatsConnection
from inferlane.events.v1 import events_pb2
from services.datasets.tables import dataset_leases

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
        await consume(self.nats, STREAM, CONSUMER, self._apply, lambda: self._closing)

    async def _apply(self, message: Msg) -> None:
        async with self._engine.begin() as conn:
            await apply(conn, message.subject, message.data)
        await message.ack()

    async def close(self) -> None:
        self._closing = True
        await self.nats.close()
