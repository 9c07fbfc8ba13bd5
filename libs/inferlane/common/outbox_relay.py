"""The outbox relay: publishes committed outbox rows to JetStream, then marks them published.

A crash between the publish and the mark publishes a row again on the next round; every
publish carries ``Nats-Msg-Id`` = the row id, so JetStream's duplicate window drops the repeat
and the stream holds each event once.

A round starts at once when the writing process calls notify(); when the outbox's trigger
NOTIFYs (rows committed by any process: the tasks worker writes the tasks service's outbox),
at most once per poll interval, the old poll's pace; and otherwise every poll interval, or,
while the LISTEN holds and so misses nothing, only every IDLE_POLL_WHILE_LISTENING seconds:
an idle relay no longer costs a statement five times a second.

Published rows are deleted once they are KEEP_PUBLISHED_SECONDS old (in idle rounds, a
batch at a time): nothing reads them after their publish, and kept they grew without end.
"""

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge
from psycopg import sql
from sqlalchemy import (
    CTE,
    Executable,
    Row,
    Table,
    bindparam,
    delete,
    extract,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inferlane.common import failpoints
from inferlane.common.db import autocommit
from inferlane.common.nats import NatsConnection
from inferlane.common.outbox import notify_channel

log = structlog.get_logger("inferlane.outbox")


@dataclass(frozen=True)
class PublishedRider:
    """What a service writes when rows are marked published, in the mark's own statement (one
    round trip, same transaction): lets it record "this is on the queue now" exactly when it
    is. `statement(marked)` is built once, with the mark as the CTE `marked`; `params` gives
    its values for the published rows' headers, or None when this round has nothing for it."""

    statement: Callable[[CTE], Executable]
    params: Callable[[list[dict[str, str]]], dict[str, Any] | None]


PUBLISHED = Counter(
    "inferlane_outbox_published_total", "Outbox rows published to JetStream.", ["relay"]
)
PENDING = Gauge(
    "inferlane_outbox_pending", "Outbox rows not yet published (counted up to a cap).", ["relay"]
)
LAG = Gauge("inferlane_outbox_lag_seconds", "Age of the oldest unpublished outbox row.", ["relay"])

# Counting a large backlog exactly would read all of it every round; past this many rows the
# gauge only needs to say "a lot".
PENDING_CAP = 10_000
# The safety net's period while the LISTEN holds (a notification lost with its connection,
# say); the LISTEN is opened again after LISTEN_RETRY_SECONDS when it drops.
IDLE_POLL_WHILE_LISTENING = 5.0
LISTEN_RETRY_SECONDS = 1.0
# Published rows are kept this long (for a look at what went out), then deleted: no reader
# needs them (JetStream's duplicate window is 2 minutes), and kept forever the table grew
# with every event. Deleted in batches, at most once per PRUNE_EVERY_SECONDS, in idle rounds.
KEEP_PUBLISHED_SECONDS = 3600.0
PRUNE_EVERY_SECONDS = 60.0
PRUNE_BATCH = 5_000


class OutboxRelay:
    """Publishes one outbox table's rows in created_at order. Any number of replicas may run
    on the same table: each round claims its rows with FOR UPDATE SKIP LOCKED."""

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        nats: NatsConnection,
        *,
        name: str,
        batch_size: int = 100,
        poll_interval: float = 0.2,
        publish_timeout: float = 2.0,
        on_published: PublishedRider | None = None,
        listen: bool = False,
        listening_poll_interval: float = IDLE_POLL_WHILE_LISTENING,
        keep_published_seconds: float = KEEP_PUBLISHED_SECONDS,
        prune_every_seconds: float = PRUNE_EVERY_SECONDS,
    ) -> None:
        """`listen`: also wake on the NOTIFYs of the table's trigger (outbox.notify_ddl), and
        poll only every `listening_poll_interval` while the LISTEN holds."""
        self.name = name
        self._engine = engine
        self._reads = autocommit(engine)
        self._table = table
        self._nats = nats
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._publish_timeout = publish_timeout
        self._on_published = on_published
        # Built once (bind parameters): building a statement costs more than sending it.
        self._mark = (
            update(table)
            .where(table.c.id.in_(bindparam("published_ids", expanding=True)))
            .values(published_at=func.now())
        )
        self._mark_with_rider = (
            None
            if on_published is None
            else on_published.statement(self._mark.returning(table.c.id).cte("marked"))
        )
        self._wake = asyncio.Event()
        self._listen = listen
        self._listening_poll_interval = listening_poll_interval
        self._listening = False  # the LISTEN holds now
        self._notified = False  # by notify(): known work
        self._committed_elsewhere = False  # by a NOTIFY since the last round
        self._gauged_at = float("-inf")  # when the gauges were last read (monotonic)
        self._prune_every = prune_every_seconds
        self._pruned_at = float("-inf")  # when published rows were last deleted (monotonic)
        self._stopped = asyncio.Event()
        self._running = False
        self._closing = False
        # The failures ("nats", "database") already warned about; repeats stay quiet until
        # that failure is over, instead of a warning every poll interval.
        self._outages: set[str] = set()
        self._jetstream: JetStreamContext | None = None
        self._jetstream_of: Client | None = None

        unpublished = table.c.published_at.is_(None)
        self._claim = (
            select(table.c.id, table.c.subject, table.c.payload, table.c.headers)
            .where(unpublished)
            .order_by(table.c.created_at, table.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        kept_since = func.clock_timestamp() - timedelta(seconds=keep_published_seconds)
        expired = select(table.c.id).where(table.c.published_at < kept_since).limit(PRUNE_BATCH)
        self._prune = delete(table).where(table.c.id.in_(expired.scalar_subquery()))
        capped = select(table.c.id).where(unpublished).limit(PENDING_CAP).subquery()
        oldest = func.min(table.c.created_at)
        self._gauges = select(
            select(func.count()).select_from(capped).scalar_subquery(),
            select(extract("epoch", func.clock_timestamp() - oldest))
            .where(unpublished)
            .scalar_subquery(),
        )

    def notify(self) -> None:
        """Wake the loop now: a caller that just committed an event need not wait a poll."""
        self._notified = True
        self._wake.set()

    async def run(self) -> None:
        """Publish until close(). Failures are logged and retried; they never end the loop."""
        self._running = True
        backlog = False
        listener = asyncio.create_task(self._listen_for_commits()) if self._listen else None
        try:
            while not self._closing:
                # A notify() or a full last batch says there is work: no look first.
                known_work = backlog or self._notified
                # Cleared before the round, so a wake that arrives during it is not lost.
                self._notified = self._committed_elsewhere = False
                try:
                    published = await self.publish_pending(look_first=not known_work)
                except Exception as exc:  # the database failed: the rows wait for next round
                    self._enter_outage("database", exc)
                    published = 0
                else:
                    self._leave_outage("database")
                backlog = published == self._batch_size
                if not backlog:  # else take the next batch without waiting
                    await self._prune_when_due()
                    await self._until_next_round(time.monotonic())
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            self._running = False
            self._stopped.set()

    async def _prune_when_due(self) -> None:
        if time.monotonic() - self._pruned_at < self._prune_every:
            return
        try:
            full = await self.prune_published() == PRUNE_BATCH
        except Exception as exc:  # the database failed: try again at the next period
            log.warning("outbox prune failed", relay=self.name, error=str(exc))
            full = False
        if not full:  # else more are due: the next idle round deletes the next batch
            self._pruned_at = time.monotonic()

    async def prune_published(self) -> int:
        """Delete up to PRUNE_BATCH rows published longer ago than the keep time; returns how
        many. Unpublished rows are never touched. One statement, no transaction."""
        async with self._reads.connect() as connection:
            deleted = (await connection.execute(self._prune)).rowcount
        if deleted:
            log.info("outbox pruned", relay=self.name, rows=deleted)
        return int(deleted)

    async def _until_next_round(self, last_round: float) -> None:
        """At once on notify() or close(). On a NOTIFY (rows another process committed) no
        sooner than a poll interval after the last round: each of this process's own commits
        NOTIFYs too, after its notify() had the rows published, and a round for each of
        those cost more than the old poll. Else after the idle wait."""
        while not (self._notified or self._closing):
            quiet = self._listening and not self._outages  # an outage keeps retries prompt
            wait = self._listening_poll_interval if quiet else self._poll_interval
            if self._committed_elsewhere:
                wait = min(wait, self._poll_interval)
            left = last_round + wait - time.monotonic()
            if left <= 0:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)

    async def _listen_for_commits(self) -> None:
        """Sets the wake event on each NOTIFY of the outbox's channel, on a connection of its
        own (a LISTEN must outlive any pooled checkout); reconnects while the loop runs."""
        url = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        channel = notify_channel(str(self._table.schema))
        warned = False
        while True:
            try:
                # It only ever reads: without keepalives, one dropped silently (a NAT, a load
                # balancer) would pass for listening for hours, leaving only the 5 s poll.
                async with await psycopg.AsyncConnection.connect(
                    url,
                    autocommit=True,
                    connect_timeout=3,
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                ) as connection:
                    await connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    self._listening, warned = True, False
                    self._committed_elsewhere = True  # rows may have come before the LISTEN
                    self._wake.set()
                    async for _ in connection.notifies():
                        self._committed_elsewhere = True
                        self._wake.set()
            except Exception as exc:  # best effort: the short poll covers while it is down
                if not warned:
                    log.warning("outbox relay cannot listen", relay=self.name, error=str(exc))
                    warned = True
            finally:
                self._listening = False
                self._wake.set()  # the loop goes back to the short poll
            await asyncio.sleep(LISTEN_RETRY_SECONDS)

    async def close(self) -> None:
        """Stop the loop after the batch in flight is committed."""
        self._closing = True
        self._wake.set()
        if self._running:
            await self._stopped.wait()

    async def publish_pending(self, *, look_first: bool = True) -> int:
        """One round: publish up to a batch of unpublished rows and mark them. Returns how
        many were published. NATS trouble stops the batch and returns what got through.
        With `look_first`, the gauges' read comes first: an idle round (most of them, every
        poll interval) is that one statement, with no transaction and no claim, and a round
        that published reads them again. A round the caller knows has work (notified) skips
        the look, and reads the gauges at most once per poll interval: under a burst the two
        reads counted the whole backlog every round."""
        published: list[uuid.UUID] = []
        published_headers: list[dict[str, str]] = []
        client = self._nats.client
        connected = client is not None and client.is_connected
        if look_first and await self._update_gauges() == 0:
            if connected:
                self._leave_outage("nats")
            return 0
        if client is None or not connected:
            # Publishing now would only queue in the client's reconnect buffer and time out.
            self._enter_outage("nats", "not connected")
        else:
            async with self._engine.begin() as connection:
                rows = (await connection.execute(self._claim)).all()
                acked = await self._publish(client, rows)
                published = [row.id for row in rows[:acked]]
                published_headers = [row.headers for row in rows[:acked]]
                if published:
                    failpoints.hit("relay-after-publish")
                    await self._mark_published(connection, published, published_headers)
            # Counted after the commit: a failed mark means the rows go out again.
            PUBLISHED.labels(self.name).inc(len(published))
        due = look_first or time.monotonic() - self._gauged_at >= self._poll_interval
        if published and due:
            await self._update_gauges()
        return len(published)

    async def _mark_published(
        self, connection: AsyncConnection, ids: list[uuid.UUID], headers: list[dict[str, str]]
    ) -> None:
        """The mark, with the service's rider when it has something to write: one statement."""
        values: dict[str, Any] = {"published_ids": ids}
        rider = self._on_published
        extra = None if rider is None else rider.params(headers)
        if extra is None or self._mark_with_rider is None:
            await connection.execute(self._mark, values)
        else:
            await connection.execute(self._mark_with_rider, values | extra)

    async def _publish(self, client: Client, rows: Sequence[Row[Any]]) -> int:
        """Publish `rows` pipelined: every message is written in order first, then the acks
        are awaited together (one round trip per batch, not per row: sequential publishes
        were the relay's whole cost under load). Returns how many rows, from the first,
        were acknowledged: after the first failure later rows wait too (acked or not; the
        duplicate window drops their repeat), so events keep their order."""
        if self._jetstream is None or self._jetstream_of is not client:
            # One context per client: it holds the subscription the acks arrive on.
            self._jetstream, self._jetstream_of = client.jetstream(), client
        acks: list[asyncio.Future[Any]] = []
        error: object = None
        try:
            for row in rows:
                headers = {**row.headers, "Nats-Msg-Id": str(row.id)}
                acks.append(
                    await self._jetstream.publish_async(row.subject, row.payload, headers=headers)
                )
            if acks:
                await asyncio.wait(acks, timeout=self._publish_timeout)
        except Exception as exc:
            error = exc
        acked = 0
        for ack in acks:
            if not ack.done() or ack.cancelled() or (error := ack.exception()) is not None:
                break
            acked += 1
        for ack in acks[acked:]:
            ack.cancel()  # frees its place in the client's table of pending acks
        if acked < len(rows):
            self._enter_outage("nats", error or "no acknowledgement in time")
        else:
            self._leave_outage("nats")
        return acked

    async def _update_gauges(self) -> int:
        """Unpublished rows (up to PENDING_CAP) and the oldest one's age, into the gauges;
        returns the count. One read: no BEGIN/ROLLBACK round trips around it."""
        self._gauged_at = time.monotonic()
        async with self._reads.connect() as connection:
            pending, lag = (await connection.execute(self._gauges)).one()
        PENDING.labels(self.name).set(pending)
        LAG.labels(self.name).set(float(lag or 0))
        return int(pending)

    def _enter_outage(self, kind: str, error: object) -> None:
        if kind not in self._outages:
            log.warning(
                "outbox relay cannot publish", relay=self.name, cause=kind, error=str(error)
            )
            self._outages.add(kind)

    def _leave_outage(self, kind: str) -> None:
        if kind in self._outages:
            log.info("outbox relay publishing again", relay=self.name, cause=kind)
            self._outages.discard(kind)
