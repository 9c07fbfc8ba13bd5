"""The transactional outbox against real PostgreSQL and a real nats-server: what commits is
published once, in order, across replicas and NATS outages; what rolls back never is."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from prometheus_client import REGISTRY
from sqlalchemy import (
    Column,
    MetaData,
    Table,
    Text,
    Uuid,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common import outbox as outbox_module
from inferlane.common import outbox_relay
from inferlane.common.db import make_engine, session_factory
from inferlane.common.nats import NatsConnection, ensure_stream
from inferlane.common.outbox import enqueue, enqueue_many, outbox_table
from inferlane.common.outbox_relay import OutboxRelay
from tests.support.sql_count import counting
from tests.support.waiting import eventually


@dataclass
class Outbox:
    engine: AsyncEngine
    table: Table

    async def rows(self) -> list:
        async with self.engine.connect() as connection:
            query = select(self.table).order_by(self.table.c.created_at)
            return list((await connection.execute(query)).all())

    async def unpublished(self) -> int:
        async with self.engine.connect() as connection:
            query = select(func.count()).where(self.table.c.published_at.is_(None))
            return int((await connection.execute(query)).scalar_one())


@dataclass
class Stream:
    js: JetStreamContext
    name: str
    prefix: str

    async def count(self) -> int:
        return int((await self.js.stream_info(self.name)).state.messages)

    async def messages(self) -> list:
        return [await self.js.get_msg(self.name, seq) for seq in range(1, await self.count() + 1)]


@pytest.fixture
async def outbox(migrated_db: str) -> AsyncIterator[Outbox]:
    """An outbox table in a schema of its own, so service schemas stay untouched."""
    schema = f"relay_test_{uuid.uuid4().hex[:8]}"
    engine = make_engine(migrated_db)
    table = outbox_table(MetaData(schema=schema))
    async with engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await connection.run_sync(table.metadata.create_all)
    yield Outbox(engine, table)
    async with engine.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()


async def connect(url: str) -> NatsConnection:
    nats = NatsConnection(url=url, name=f"outbox-test-{uuid.uuid4().hex[:6]}")
    nats.start()
    await nats.wait_connected(10)
    return nats


async def declare_stream(nats: NatsConnection) -> Stream:
    tag = uuid.uuid4().hex
    stream = Stream(nats.jetstream, f"TEST_OUTBOX_{tag}", f"test.{tag}")
    await ensure_stream(stream.js, StreamConfig(name=stream.name, subjects=[f"{stream.prefix}.>"]))
    return stream


@pytest.fixture
async def nats(nats_url: str) -> AsyncIterator[NatsConnection]:
    connection = await connect(nats_url)
    yield connection
    await connection.close()


@pytest.fixture
async def stream(nats: NatsConnection) -> AsyncIterator[Stream]:
    stream = await declare_stream(nats)
    yield stream
    await stream.js.delete_stream(stream.name)


def relay(outbox: Outbox, nats: NatsConnection, **options) -> OutboxRelay:
    name = f"test-{uuid.uuid4().hex[:8]}"
    return OutboxRelay(outbox.engine, outbox.table, nats, name=name, **options)


def metric(name: str, relay: OutboxRelay) -> float:
    value = REGISTRY.get_sample_value(name, {"relay": relay.name})
    return 0.0 if value is None else value


async def test_a_committed_event_is_published_once_with_its_payload_and_headers(
    outbox, nats, stream
):
    async with session_factory(outbox.engine)() as session, session.begin():
        event_id = await enqueue(
            session, outbox.table, f"{stream.prefix}.created", b"payload", {"X-Kind": "created"}
        )
    subject = relay(outbox, nats)

    assert await subject.publish_pending() == 1
    assert await subject.publish_pending() == 0
    [message] = await stream.messages()
    assert message.subject == f"{stream.prefix}.created"
    assert message.data == b"payload"
    assert message.headers is not None
    assert message.headers["X-Kind"] == "created"
    assert message.headers["Nats-Msg-Id"] == str(event_id)
    [row] = await outbox.rows()
    assert row.id == event_id and row.published_at is not None
    assert metric("inferlane_outbox_published_total", subject) == 1


async def test_a_rolled_back_transaction_publishes_nothing(outbox, nats, stream):
    async with outbox.engine.connect() as connection:
        transaction = await connection.begin()
        await enqueue(connection, outbox.table, f"{stream.prefix}.lost", b"never")
        await transaction.rollback()

    assert await relay(outbox, nats).publish_pending() == 0
    assert await stream.count() == 0
    assert await outbox.rows() == []


async def test_events_are_published_in_the_order_they_were_written(outbox, nats, stream):
    written = []
    for index in range(3):  # one transaction each
        async with outbox.engine.begin() as connection:
            written.append(
                await enqueue(connection, outbox.table, f"{stream.prefix}.n", str(index).encode())
            )
    async with outbox.engine.begin() as connection:  # several in one transaction
        for index in range(3, 7):
            written.append(
                await enqueue(connection, outbox.table, f"{stream.prefix}.n", str(index).encode())
            )
    subject = relay(outbox, nats, batch_size=3)  # order holds across batches too

    while await subject.publish_pending():
        pass

    messages = await stream.messages()
    assert [m.data for m in messages] == [str(index).encode() for index in range(7)]
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [str(i) for i in written]


async def test_events_enqueued_together_keep_their_order_across_statements(
    outbox, nats, stream, monkeypatch
):
    # Three statements of 4, 4 and 2 rows: order must hold inside each and across them.
    monkeypatch.setattr(outbox_module, "MANY_ROWS_PER_STATEMENT", 4)
    events = [(f"{stream.prefix}.n", str(i).encode(), {"Seq": str(i)}) for i in range(10)]
    async with outbox.engine.begin() as connection:
        written = await enqueue_many(connection, outbox.table, events)
    subject = relay(outbox, nats, batch_size=3)

    while await subject.publish_pending():
        pass

    messages = await stream.messages()
    assert [m.data for m in messages] == [str(i).encode() for i in range(10)]
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [str(i) for i in written]
    assert [m.headers["Seq"] for m in messages] == [str(i) for i in range(10)]


async def test_an_idle_round_is_one_statement(outbox, nats, stream):
    """Relays poll every 0.2 s in every service: nothing to publish must cost one read."""
    subject = relay(outbox, nats)
    with counting(outbox.engine) as sent:
        assert await subject.publish_pending() == 0
    assert sent.count == 1, str(sent)


async def test_a_notified_round_claims_marks_and_reads_the_gauges_once_per_interval(
    outbox, nats, stream
):
    """A round that knows it has work (notified, or after a full batch) does not look first,
    and reads the gauges at most once per poll interval: under a burst every round counted
    the whole backlog twice."""
    subject = relay(outbox, nats, poll_interval=3600)  # one gauge read in this test
    rounds = []
    for n in range(2):
        async with outbox.engine.begin() as connection:
            await enqueue(connection, outbox.table, f"{stream.prefix}.burst", b"%d" % n)
        with counting(outbox.engine) as sent:
            assert await subject.publish_pending(look_first=False) == 1
        rounds.append(sent.sent)
    claim_and_mark = ["BEGIN", "SELECT", "UPDATE", "COMMIT"]
    assert [s.split()[0] for s in rounds[0]] == [*claim_and_mark, "SELECT"], rounds[0]
    assert [s.split()[0] for s in rounds[1]] == claim_and_mark, rounds[1]
    assert len(await stream.messages()) == 2


async def test_a_riders_write_goes_in_the_marks_statement(outbox, nats, stream):
    """A service's rider (the tasks relay's `queued`) is written in the statement that marks
    the rows published: a notified round stays four statements, and its write commits with
    the mark. A round it has nothing for sends the plain mark."""
    seen = Table("seen", outbox.table.metadata, Column("id", Uuid), Column("note", Text))
    async with outbox.engine.begin() as connection:
        await connection.run_sync(seen.create)
    rider = outbox_relay.PublishedRider(
        statement=lambda marked: (
            insert(seen)
            .from_select(["id", "note"], select(marked.c.id, bindparam("note", type_=Text)))
            .add_cte(marked)
        ),
        params=lambda headers: {"note": headers[0]["Note"]} if "Note" in headers[0] else None,
    )
    subject = relay(outbox, nats, poll_interval=3600, on_published=rider)
    for headers in ({"Note": "on the queue"}, {}):
        async with outbox.engine.begin() as connection:
            await enqueue(connection, outbox.table, f"{stream.prefix}.ride", b"x", headers)
        with counting(outbox.engine) as sent:
            assert await subject.publish_pending(look_first=False) == 1
        words = [s.split()[0] for s in sent.sent]
        assert words[:4] == ["BEGIN", "SELECT", "WITH" if headers else "UPDATE", "COMMIT"], sent
    async with outbox.engine.connect() as connection:
        rows = (await connection.execute(select(seen.c.id, seen.c.note))).all()
    first = (await outbox.rows())[0]
    assert [(r.id, r.note) for r in rows] == [(first.id, "on the queue")]
    assert await outbox.unpublished() == 0


async def test_published_rows_are_deleted_after_the_keep_time_and_unpublished_never(
    outbox, nats, stream
):
    """Kept forever, every event ever written stayed in the table."""
    for name in ("old", "new"):
        async with outbox.engine.begin() as connection:
            await enqueue(connection, outbox.table, f"{stream.prefix}.{name}", name.encode())
    subject = relay(outbox, nats, keep_published_seconds=3600)
    assert await subject.publish_pending() == 2
    async with outbox.engine.begin() as connection:
        await enqueue(connection, outbox.table, f"{stream.prefix}.waiting", b"waiting")
        aged = func.now() - timedelta(hours=2)
        await connection.execute(update(outbox.table).values(created_at=aged))
        await connection.execute(
            update(outbox.table).where(outbox.table.c.payload == b"old").values(published_at=aged)
        )

    assert await subject.prune_published() == 1
    assert await subject.prune_published() == 0
    assert sorted(r.payload for r in await outbox.rows()) == [b"new", b"waiting"]


async def test_a_running_relay_prunes_what_it_published(outbox, nats, stream):
    subject = relay(outbox, nats, keep_published_seconds=0, prune_every_seconds=0)
    task = asyncio.create_task(subject.run())
    async with outbox.engine.begin() as connection:
        await enqueue(connection, outbox.table, f"{stream.prefix}.gone", b"gone")
    subject.notify()

    async def published_and_pruned() -> bool:
        return await stream.count() == 1 and not await outbox.rows()

    await eventually(published_and_pruned, 30, "the row published, then deleted")
    await subject.close()
    await task


async def test_a_republish_after_a_crash_before_the_mark_is_deduplicated(outbox, nats, stream):
    async with outbox.engine.begin() as connection:
        await enqueue(connection, outbox.table, f"{stream.prefix}.once", b"once")
    subject = relay(outbox, nats)
    assert await subject.publish_pending() == 1
    # The crash: the publish reached JetStream but the mark never committed.
    async with outbox.engine.begin() as connection:
        await connection.execute(update(outbox.table).values(published_at=None))

    assert await subject.publish_pending() == 1
    assert await stream.count() == 1
    assert await outbox.unpublished() == 0


async def test_two_relays_on_one_table_publish_every_row_exactly_once(outbox, nats, stream):
    async with outbox.engine.begin() as connection:
        ids = {
            str(await enqueue(connection, outbox.table, f"{stream.prefix}.r", str(i).encode()))
            for i in range(200)
        }
    # A core subscription sees every publish, even one JetStream would drop as a duplicate.
    seen: list[str] = []

    async def record(message) -> None:
        seen.append(message.headers["Nats-Msg-Id"])

    subscription = await nats.client.subscribe(f"{stream.prefix}.>", cb=record)
    relays = [relay(outbox, nats, batch_size=10, poll_interval=0.05) for _ in range(2)]
    tasks = [asyncio.create_task(r.run()) for r in relays]

    async def all_marked() -> bool:
        return await outbox.unpublished() == 0

    await eventually(all_marked, 30, "every row to be marked published")
    for r in relays:
        await r.close()
    await asyncio.gather(*tasks)
    await nats.client.flush()
    await subscription.unsubscribe()

    assert sorted(seen) == sorted(ids)
    assert await stream.count() == 200
    total = sum(metric("inferlane_outbox_published_total", r) for r in relays)
    assert total == 200


class Recorder:
    def __init__(self) -> None:
        self.warnings: list[dict] = []

    def warning(self, event: str, **fields) -> None:
        self.warnings.append({"event": event, **fields})

    def info(self, event: str, **fields) -> None:
        pass


async def test_a_nats_outage_leaves_rows_unpublished_until_nats_returns(
    outbox, own_nats, monkeypatch
):
    nats = await connect(own_nats.url)
    stream = await declare_stream(nats)
    async with outbox.engine.begin() as connection:
        for index in range(3):
            await enqueue(connection, outbox.table, f"{stream.prefix}.o", str(index).encode())
    recorder = Recorder()
    monkeypatch.setattr(outbox_relay, "log", recorder)
    subject = relay(outbox, nats)

    own_nats.stop()

    async def disconnected() -> bool:
        return not nats.client.is_connected

    await eventually(disconnected, 10, "the client to see NATS go")
    for _ in range(3):
        assert await subject.publish_pending() == 0
    assert await outbox.unpublished() == 3
    assert len(recorder.warnings) == 1  # once per outage, not once per round

    own_nats.start()

    async def published() -> bool:
        await subject.publish_pending()
        return await outbox.unpublished() == 0

    await eventually(published, 20, "the rows to go out after NATS returns")
    assert [m.data for m in await stream.messages()] == [b"0", b"1", b"2"]
    await nats.close()


async def test_pending_and_lag_gauges_reflect_unpublished_rows(outbox, nats, stream):
    async with outbox.engine.begin() as connection:
        for index in range(3):
            await enqueue(connection, outbox.table, f"{stream.prefix}.m", str(index).encode())
        await connection.execute(
            update(outbox.table).values(created_at=func.now() - timedelta(seconds=60))
        )
    never_connected = NatsConnection(url="nats://127.0.0.1:9", name="never")
    stuck = relay(outbox, never_connected)

    assert await stuck.publish_pending() == 0
    assert metric("inferlane_outbox_pending", stuck) == 3
    assert metric("inferlane_outbox_lag_seconds", stuck) >= 60

    working = relay(outbox, nats)
    assert await working.publish_pending() == 3
    assert metric("inferlane_outbox_pending", working) == 0
    assert metric("inferlane_outbox_lag_seconds", working) == 0
    assert metric("inferlane_outbox_published_total", working) == 3


async def test_notify_wakes_a_waiting_relay_before_its_poll_interval(outbox, nats, stream):
    subject = relay(outbox, nats, poll_interval=60)
    task = asyncio.create_task(subject.run())

    async def first_round_done() -> bool:
        name = "inferlane_outbox_pending"
        return REGISTRY.get_sample_value(name, {"relay": subject.name}) is not None

    await eventually(first_round_done, 10, "the relay's first round")  # now it sleeps 60 s
    async with outbox.engine.begin() as connection:
        await enqueue(connection, outbox.table, f"{stream.prefix}.nudge", b"now")
    subject.notify()

    async def published() -> bool:
        return await stream.count() == 1

    await eventually(published, 5, "the nudged relay to publish")
    await subject.close()
    await task


async def listening_relay(outbox: Outbox, nats: NatsConnection) -> tuple[OutboxRelay, asyncio.Task]:
    """A relay that listens on an outbox with its migrations' trigger, and while it listens
    would otherwise sleep an hour between rounds: what it publishes, a NOTIFY woke it for."""
    schema = str(outbox.table.schema)
    async with outbox.engine.begin() as connection:
        for statement in outbox_module.notify_ddl(schema):
            await connection.execute(text(statement))
    subject = relay(outbox, nats, listen=True, listening_poll_interval=3600)
    return subject, asyncio.create_task(subject.run())


async def test_rows_another_process_commits_wake_a_listening_relay(outbox, nats, stream):
    subject, task = await listening_relay(outbox, nats)
    async with outbox.engine.begin() as connection:  # a writer that never calls notify()
        await enqueue(connection, outbox.table, f"{stream.prefix}.elsewhere", b"one")

    def published(n: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await stream.count() == n

        return check

    await eventually(published(1), 30, "the NOTIFY to wake the relay")
    async with outbox.engine.begin() as connection:  # the second wakes it as well
        await enqueue(connection, outbox.table, f"{stream.prefix}.elsewhere", b"two")
    await eventually(published(2), 30, "the second NOTIFY to wake the relay")
    await subject.close()
    await task


async def test_a_listening_relay_listens_again_after_its_connection_is_cut(
    outbox, nats, stream, postgres_url
):
    subject, task = await listening_relay(outbox, nats)
    channel = outbox_module.notify_channel(str(outbox.table.schema))

    async def listeners() -> list[int]:
        async with outbox.engine.connect() as connection:
            found = await connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE query = :q"),
                {"q": f'LISTEN "{channel}"'},
            )
            return [row[0] for row in found]

    async def listening() -> bool:
        return len(await listeners()) == 1

    await eventually(listening, 30, "the relay's LISTEN")
    [cut] = await listeners()
    async with outbox.engine.connect() as connection:
        await connection.execute(text("SELECT pg_terminate_backend(:p)"), {"p": cut})

    async def listening_again() -> bool:
        return (await listeners()) not in ([], [cut])

    await eventually(listening_again, 30, "a new LISTEN")
    async with outbox.engine.begin() as connection:
        await enqueue(connection, outbox.table, f"{stream.prefix}.after", b"after")

    async def published() -> bool:
        return await stream.count() == 1

    await eventually(published, 30, "the relay to publish after listening again")
    await subject.close()
    await task
