"""Which datasets running tasks are reading, learnt from the tasks service's events.

A durable JetStream consumer reads tasks.task.*: `created` or `resumed` (with a dataset) takes
a lease, `completed` / `failed` / `cancelled` releases it. Each message is acked after its write
(one statement, committed by itself), and both writes are idempotent, so redelivery is harmless.
Events that name no dataset (a single task's) are acked without touching the database.
"""

import uuid
from typing import Any

from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import Executable, delete, exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inferlane.common.db import autocommit
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


def change(subject: str, payload: bytes) -> Executable | None:
    """The write an event asks for, or None: most events (every single task's) name no
    dataset, and then cost no database round trip at all."""
    if subject in TAKING:
        taking = TAKING[subject].FromString(payload)
        if not taking.dataset_id:
            return None
        values = {"task_id": uuid.UUID(taking.task_id), "dataset_id": uuid.UUID(taking.dataset_id)}
        return insert(dataset_leases).values(**values).on_conflict_do_nothing()
    if subject in RELEASING:
        ending = RELEASING[subject].FromString(payload)
        # Unset (a producer older than the field): there may be a lease, so release it.
        if ending.HasField("dataset_id") and not ending.dataset_id:
            return None
        return delete(dataset_leases).where(dataset_leases.c.task_id == uuid.UUID(ending.task_id))
    return None


class LeaseConsumer:
    def __init__(self, engine: AsyncEngine, nats_url: str) -> None:
        self._engine = autocommit(engine)  # one statement per event: no BEGIN and COMMIT
        self.nats = NatsConnection(nats_url, name="datasets-leases")
        self._closing = False

    async def run(self) -> None:
        self.nats.start()
        await consume(self.nats, STREAM, CONSUMER, self._apply, lambda: self._closing)

    async def _apply(self, message: Msg) -> None:
        if (statement := change(message.subject, message.data)) is not None:
            async with self._engine.connect() as conn:
                await conn.execute(statement)
        await message.ack()

    async def close(self) -> None:
        self._closing = True
        await self.nats.close()
