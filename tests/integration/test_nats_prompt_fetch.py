"""PromptFetch against a real nats-server: one message at a time unless the consumer's last
message said a backlog waits behind it, and then no more than that backlog."""

import uuid
from collections.abc import AsyncIterator

import pytest
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from inferlane.common.nats import NatsConnection, PromptFetch, ensure_stream


@pytest.fixture
async def queue(nats_url: str) -> AsyncIterator[tuple[NatsConnection, str]]:
    nats = NatsConnection(url=nats_url, name=f"prompt-fetch-{uuid.uuid4().hex[:6]}")
    nats.start()
    await nats.wait_connected(10)
    name = f"TEST_PROMPT_{uuid.uuid4().hex}"
    await ensure_stream(nats.jetstream, StreamConfig(name=name, subjects=[f"{name}.>"]))
    consumer = ConsumerConfig(durable_name="w", ack_policy=AckPolicy.EXPLICIT)
    await nats.jetstream.add_consumer(name, consumer)
    yield nats, name
    await nats.jetstream.delete_stream(name)
    await nats.close()


async def test_a_batch_is_fetched_only_from_a_backlog_that_fills_it(queue):
    nats, stream = queue
    for n in range(5):
        await nats.jetstream.publish(f"{stream}.work", b"%d" % n)
    subscription = await nats.jetstream.pull_subscribe_bind("w", stream=stream)
    fetch = PromptFetch(subscription, timeout=5.0)

    # Nothing known yet: one. It says four wait: three (the most asked). Then the last one.
    sizes, seen = [], []
    for _ in range(3):
        batch = await fetch(3)
        sizes.append(len(batch))
        seen += [m.data for m in batch]
        for message in batch:
            await message.ack()

    assert sizes == [1, 3, 1]
    assert seen == [b"%d" % n for n in range(5)]


async def test_an_empty_queue_times_out_and_the_next_fetch_asks_for_one(queue):
    nats, stream = queue
    subscription = await nats.jetstream.pull_subscribe_bind("w", stream=stream)
    fetch = PromptFetch(subscription, timeout=3.0)  # the wait for nothing, then a margin

    with pytest.raises(TimeoutError):
        await fetch(64)
    for n in range(2):
        await nats.jetstream.publish(f"{stream}.work", b"%d" % n)

    assert [m.data for m in await fetch(64)] == [b"0"]  # one: nothing said a backlog waits
    assert [m.data for m in await fetch(64)] == [b"1"]
