"""The worker's side of the TASKS_WORK queue: a durable pull consumer shared by every worker.

Up to `concurrency` chunks run at once per process; each message is acked only after its
results are committed (ChunkRunner). Nothing is pulled while inference is not ready (the
gate). A chunk whose dependency is busy or restarting is retried here, with backoff, while the
message is kept in progress: that costs time within the retry budget, never a delivery, and
only failures that outlast the budget make a dead letter. Deliveries count crashes and
unexpected errors: a message that keeps killing workers is delivered more than max_attempts
times and dead-lettered unseen.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import structlog
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry.trace import Span, SpanKind

from inferlane.common import tracing
from inferlane.common.nats import NatsConnection, PromptFetch, ensure_consumer
from inferlane.events.v1 import events_pb2
from services.tasks.streams import WORK
from services.tasks.worker.chunks import ChunkRunner, Delivery, Outcome, Transient
from services.tasks.worker.gate import ReadyGate
from services.tasks.worker.retries import RetryBudget

log = structlog.get_logger(__name__)

DURABLE = "tasks-workers"
WORK_STREAM = WORK.name or "TASKS_WORK"
CRASH_MARGIN = 2  # deliveries past max_attempts that never got an answer: a crash loop


def consumer_config(ack_wait: float) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=DURABLE,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ack_wait,
        max_deliver=-1,  # attempts are counted here, so nothing is dropped silently
        max_ack_pending=1000,
    )


def backoff(attempt: int, base: float, ceiling: float) -> float:
    return float(min(ceiling, base * 2 ** (attempt - 1)))


class WorkConsumer:
    def __init__(
        self,
        nats: NatsConnection,
        runner: ChunkRunner,
        gate: ReadyGate,
        *,
        concurrency: int,
        max_attempts: int,
        retry_budget: float,
        retry_base: float,
        retry_max: float,
        ack_wait: float,
    ) -> None:
        self._nats = nats
        self._runner = runner
        self._gate = gate
        self._budget = retry_budget
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._max_attempts = max_attempts
        self._retry = (retry_base, retry_max)
        self._ack_wait = ack_wait
        self._closing = False
        self._closed = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        while not self._closing:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS went away: wait for it and subscribe again
                if not self._closing:
                    log.warning("work consumer interrupted", error=str(exc))
                    await asyncio.sleep(1)

    async def _consume(self) -> None:
        await self._nats.wait_connected(float("inf"))
        js = self._nats.jetstream
        await ensure_consumer(js, WORK_STREAM, consumer_config(self._ack_wait))
        subscription = await js.pull_subscribe_bind(DURABLE, stream=WORK_STREAM)
        fetch = PromptFetch(subscription, timeout=1.0)
        try:
            while not self._closing:
                await self._gate.wait_open()
                taken = await self._take_slots()
                try:
                    batch = await fetch(taken)
                except TimeoutError:
                    batch = []
                    # A dead connection times out at once: without a pause this would spin.
                    client = self._nats.client
                    if client is None or not client.is_connected:
                        await asyncio.sleep(0.5)
                except BaseException:
                    self._give_back(taken)
                    raise
                self._give_back(taken - len(batch))
                for msg in batch:  # each handler gives its slot back when done
                    job = asyncio.create_task(self._handle(msg))
                    self._running.add(job)
                    job.add_done_callback(self._running.discard)
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _take_slots(self) -> int:
        """Wait for one free slot, then take every other free one: fetch up to that many."""
        await self._slots.acquire()
        taken = 1
        while taken < self._concurrency and not self._slots.locked():
            await self._slots.acquire()
            taken += 1
        return taken

    def _give_back(self, count: int) -> None:
        for _ in range(count):
            self._slots.release()

    async def _handle(self, msg: Msg) -> None:
        # The message carries the trace context of the request that created the task (the
        # outbox row kept it): the chunk's span, and its calls, continue that trace.
        with tracing.tracer().start_as_current_span(
            f"{msg.subject} process",
            context=tracing.extract(msg.headers),
            kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "nats", "messaging.destination.name": msg.subject},
        ) as span:
            await self._handle_in_span(msg, span)

    async def _handle_in_span(self, msg: Msg, span: Span) -> None:
        try:
            attempt = msg.metadata.num_delivered
            work = events_pb2.TaskWork.FromString(msg.data)
            if span.is_recording():
                span.set_attributes(
                    {
                        "inferlane.task_id": work.task_id,
                        "inferlane.chunk_index": work.chunk_index,
                        "inferlane.attempt": attempt,
                    }
                )
            delivery = Delivery(work, msg.data, attempt)
            if attempt > self._max_attempts + CRASH_MARGIN:
                outcome = await self._runner.dead_letter(
                    delivery, f"delivered {attempt} times without an answer: it may crash workers"
                )
            else:
                outcome = await self._run_until_settled(delivery, msg)
            span.set_attribute("inferlane.outcome", outcome.value)
            if outcome is Outcome.RETRY:
                await msg.nak()  # the worker is closing: another one takes it now
            else:
                await msg.ack()
        except Exception as exc:  # unexpected: let JetStream redeliver it after a pause
            log.exception("chunk handling failed", error=str(exc))
            with contextlib.suppress(Exception):
                await msg.nak(delay=backoff(msg.metadata.num_delivered, *self._retry))
        finally:
            self._slots.release()

    async def _run_until_settled(self, delivery: Delivery, msg: Msg) -> Outcome:
        budget = RetryBudget(self._budget, *self._retry)
        while True:
            try:
                async with _kept_in_progress(msg, self._ack_wait / 3):
                    return await self._runner.run(delivery)
            except Transient as exc:
                reason = str(exc)
            delay = budget.next_delay()
            work = delivery.work
            if delay is None:
                return await self._runner.dead_letter(
                    delivery,
                    f"gave up after {budget.failures} tries in {self._budget:.0f} s: {reason}",
                )
            await self._runner.note_retry(delivery, reason, delay)
            log.warning(
                "chunk failed; will retry",
                task_id=work.task_id,
                chunk=work.chunk_index,
                failures=budget.failures,
                retry_in=round(delay, 2),
                error=reason,
            )
            if not await self._pause(msg, delay, budget):
                return Outcome.RETRY

    async def _pause(self, msg: Msg, delay: float, budget: RetryBudget) -> bool:
        """Back off, then wait (uncharged) until inference is ready; False if closing."""
        with contextlib.suppress(Exception):
            await msg.in_progress()
        if await self._closed_within(delay):
            return False
        started = time.monotonic()
        while not self._gate.is_open:
            with contextlib.suppress(Exception):
                await msg.in_progress()
            if await self._closed_within(min(1.0, self._ack_wait / 3)):
                return False
        budget.pause(time.monotonic() - started)
        return True

    async def _closed_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._closed.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        """Stop fetching; chunks in flight finish (their results are committed, then acked),
        and chunks waiting to retry go back to the queue at once."""
        self._closing = True
        self._closed.set()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)


@contextlib.asynccontextmanager
async def _kept_in_progress(msg: Msg, every: float) -> AsyncIterator[None]:
    """Tell JetStream the chunk is being worked on, so a long one is not redelivered."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    beating = asyncio.create_task(beat())
    try:
        yield
    finally:
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
