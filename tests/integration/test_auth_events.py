"""auth.user.registered reaches JetStream through the outbox, once per account."""

import asyncio

import nats

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_service_pb2_grpc
from inferlane.events.v1 import events_pb2
from tests.support.accounts import PASSWORD, unique_email


async def test_registration_publishes_user_registered_once(auth_channel, nats_url):
    email = unique_email()
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        user = (
            await auth_service_pb2_grpc.AuthServiceStub(auth_channel).Register(
                pb.RegisterRequest(email=email, password=PASSWORD)
            )
        ).user
        # A fresh ephemeral consumer on the stream sees everything published so far.
        subscription = await js.subscribe(
            "auth.user.registered", stream="AUTH_EVENTS", ordered_consumer=True
        )
        matching = []
        deadline = asyncio.get_running_loop().time() + 10
        while asyncio.get_running_loop().time() < deadline:
            try:
                message = await subscription.next_msg(timeout=1)
            except nats.errors.TimeoutError:
                if matching:  # drained: nothing more after the event arrived
                    break
                continue
            event = events_pb2.UserRegistered.FromString(message.data)
            if event.user_id == user.id:
                matching.append((event, message.headers or {}))
        assert len(matching) == 1
        event, headers = matching[0]
        assert event.email == email
        assert headers.get("Nats-Msg-Id")  # the outbox row id: re-publishes are deduplicated
        assert event.occurred_at.ToDatetime().year >= 2026
    finally:
        await client.close()
