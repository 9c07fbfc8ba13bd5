"""The webhook dispatcher, a background job of the tasks process.

One loop reads terminal task events from TASKS_EVENTS (a durable consumer, each message acked
after its deliveries are committed: at least once, and duplicates are dropped by the unique
(event, target)). Another sends due deliveries: it claims them (SKIP LOCKED, and pushes their
next attempt past the send's time so another replica leaves them alone), POSTs through the
SSRF-safe egress module, and records the attempt, then either the success, the next retry (same
webhook-id, fresh timestamp and signature) or, past the give-up time, the failure, which may
disable the endpoint.
"""

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inferlane.common.clock import utc_now
from inferlane.common.db import autocommit
from inferlane.common.event_consumer import consume
from inferlane.common.nats import NatsConnection
from services.tasks import audit
from services.tasks.streams import EVENTS
from services.tasks.webhooks import egress, events, signing
from services.tasks.webhooks.endpoints import ACTIVE, DISABLED
from services.tasks.webhooks.schedule import Schedule
from services.tasks.webhooks.tables import attempts, deliveries, endpoints

log = structlog.get_logger(__name__)

CONSUMER = ConsumerConfig(
    durable_name="tasks-webhooks",
    filter_subject="tasks.task.>",
    ack_policy=AckPolicy.EXPLICIT,
    # Every kept event: the consumer may be created after a task's end; an endpoint only gets
    # events that happened after it was registered (events.record).
    deliver_policy=DeliverPolicy.ALL,
    ack_wait=30.0,
    max_deliver=-1,
)
CLAIM_BATCH = 32
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class Due:
    id: uuid.UUID
    endpoint_id: uuid.UUID | None
    task_id: uuid.UUID
    url: str
    body: bytes
    attempts: int
    created_at: datetime
    key: bytes | None


class Dispatcher:
    def __init__(
        self,
        engine: AsyncEngine,
        nats_url: str,
        schedule: Schedule,
        policy: egress.EgressPolicy,
        poll_s: float = 1.0,
        public_url: str = "",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._reads = autocommit(engine)
        self.nats = NatsConnection(nats_url, name="tasks-webhooks")
        self._schedule = schedule
        self._policy = policy
        self._poll_s = poll_s
        self._public_url = public_url
        self._clock = clock
        self._wake = asyncio.Event()
        self._closing = False

    async def run(self) -> None:
        self.nats.start()
        await asyncio.gather(self._consume_loop(), self._send_loop())

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        await self.nats.close()

    # -- events -> deliveries ----------------------------------------------------------------

    async def _consume_loop(self) -> None:
        assert EVENTS.name is not None
        await consume(self.nats, EVENTS.name, CONSUMER, self._on_event, lambda: self._closing)

    async def _on_event(self, message: Msg) -> None:
        if message.subject not in events.TERMINAL:  # most events: no database round trip
            await message.ack()
            return
        async with self._reads.connect() as conn:  # most terminal events: one read, no BEGIN
            someone = await events.anyone_to_tell(conn, message.subject, message.data)
        if not someone:
            await message.ack()
            return
        async with self._engine.begin() as conn:
            added = await events.record(
                conn, message.subject, message.data, self._clock(), self._public_url
            )
        await message.ack()
        if added:
            self._wake.set()

    # -- deliveries -> HTTP ------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while not self._closing:
            try:
                due = await self.claim()
                if due:
                    await asyncio.gather(*(self.attempt(d) for d in due))
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # PostgreSQL restarting: look again after a pause
                log.warning("webhook sending interrupted", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_s)
            self._wake.clear()

    async def claim(self) -> list[Due]:
        """Due deliveries to active endpoints (or a task's callback), leased for one send."""
        now = self._clock()
        lease = timedelta(seconds=self._policy.total_timeout_s + 30)
        d, e = deliveries.c, endpoints.c
        stmt = (
            select(d.id, d.endpoint_id, d.task_id, d.url, d.body, d.attempts, d.created_at)
            .add_columns(e.secret)
            .outerjoin(endpoints, e.id == d.endpoint_id)
            .where(
                d.state == PENDING,
                d.next_attempt_at <= now,
                or_(d.endpoint_id.is_(None), e.state == ACTIVE),
            )
            .order_by(d.next_attempt_at)
            .limit(CLAIM_BATCH)
            .with_for_update(of=deliveries, skip_locked=True)
        )
        async with self._engine.begin() as conn:
            found = [Due(*r) for r in await conn.execute(stmt)]
            if found:
                await conn.execute(
                    update(deliveries)
                    .where(d.id.in_([f.id for f in found]))
                    .values(next_attempt_at=now + lease)
                )
        return found

    async def attempt(self, due: Due) -> None:
        timestamp = int(time.time())
        webhook_id = str(due.id)
        headers = signing.headers(due.key, webhook_id, timestamp, due.body)
        started = time.monotonic()
        status_code: int | None = None
        error: str | None = None
        try:
            sent = await egress.post(due.url, due.body, headers, self._policy)
            status_code, latency_ms = sent.status_code, sent.latency_ms
            if not 200 <= sent.status_code < 300:
                error = f"HTTP {sent.status_code}: {sent.body_excerpt[:200]}"
        except (egress.EgressRefused, egress.EgressFailed) as exc:
            latency_ms = (time.monotonic() - started) * 1000
            error = str(exc) or type(exc).__name__
        await self._record(due, status_code, latency_ms, error)

    async def _record(
        self, due: Due, status_code: int | None, latency_ms: float, error: str | None
    ) -> None:
        now = self._clock()
        number = due.attempts + 1
        d, e = deliveries.c, endpoints.c
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(attempts).values(
                    delivery_id=due.id,
                    endpoint_id=due.endpoint_id,
                    attempt=number,
                    status_code=status_code,
                    latency_ms=latency_ms,
                    error=error,
                )
            )
            details: dict[str, Any] = {
                "webhook_id": str(due.id),
                "attempt": number,
                "status_code": status_code,
            }
            if due.endpoint_id is not None:
                details["endpoint_id"] = str(due.endpoint_id)
            if error is None:
                await conn.execute(
                    update(deliveries)
                    .where(d.id == due.id)
                    .values(state=DELIVERED, attempts=number)
                )
                if due.endpoint_id is not None:
                    await conn.execute(
                        update(endpoints).where(e.id == due.endpoint_id).values(failed_in_a_row=0)
                    )
                await audit.record(conn, due.task_id, audit.WEBHOOK_DELIVERED, **details)
                return
            retry_at = self._schedule.next_attempt(due.created_at, number, now)
            if retry_at is not None:
                await conn.execute(
                    update(deliveries)
                    .where(d.id == due.id)
                    .values(attempts=number, next_attempt_at=retry_at)
                )
                return
            await conn.execute(
                update(deliveries).where(d.id == due.id).values(state=FAILED, attempts=number)
            )
            await audit.record(conn, due.task_id, audit.WEBHOOK_FAILED, error=error, **details)
            if due.endpoint_id is not None:
                await self._count_failure(conn, due.endpoint_id, error)

    async def _count_failure(
        self, conn: AsyncConnection, endpoint_id: uuid.UUID, error: str
    ) -> None:
        e = endpoints.c
        limit = self._schedule.disable_after
        reason = (
            f"disabled after {limit} deliveries in a row failed every attempt; last error: {error}"
        )
        await conn.execute(
            update(endpoints)
            .where(e.id == endpoint_id)
            .values(failed_in_a_row=e.failed_in_a_row + 1)
        )
        await conn.execute(
            update(endpoints)
            .where(and_(e.id == endpoint_id, e.failed_in_a_row >= limit, e.state == ACTIVE))
            .values(state=DISABLED, disabled_reason=reason[:1000])
        )
