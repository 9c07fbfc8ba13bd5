"""Webhooks through the Python SDK against the running platform: a real HTTP receiver gets
the task's events, and `verify_webhook` accepts the signed one with the endpoint's secret."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from inferlane.client import (
    AsyncClient,
    Client,
    NotFound,
    WebhookVerificationError,
    verify_webhook,
)
from tests.support.cli_reviews import PASSWORD, fresh_email
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.slow
PATIENCE_S = 120  # the task runs on CPU Triton, then the dispatcher's sender loop POSTs


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    started = await Receiver().start()
    yield started
    await started.stop()


@pytest.fixture(scope="module")
def api_key(platform) -> str:
    with Client(platform.url) as client:
        client.register(email := fresh_email("sdk-hooks"), PASSWORD)
        client.login(email, PASSWORD)
        return client.create_api_key("sdk webhook tests").secret


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Await `check()` until it is true; the receiver is served by this same event loop."""
    for _ in range(PATIENCE_S * 10):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


async def test_a_finished_task_is_delivered_signed_to_the_endpoint_and_to_its_callback(
    platform, api_key, receiver
):
    async with AsyncClient(platform.url, api_key=api_key) as client:
        endpoint = await client.create_webhook(receiver.url, description="sdk e2e")
        assert endpoint.secret.startswith("whsec_") and endpoint.state == "active"
        listed = await client.list_webhooks(limit=100)
        assert endpoint.id in [w.id for w in listed.items]
        assert not hasattr(listed.items[0], "secret")

        task = await client.submit_single(
            "sentiment", {"text": "Lovely fabric, fits well."}, callback_url=receiver.url
        )
        assert (await client.wait(task.id)).status == "ready"

        async def both_arrived() -> bool:
            return len(receiver.received) >= 2

        await eventually(both_arrived, "the endpoint's and the callback's deliveries")
        signed = [r for r in receiver.received if "webhook-signature" in r.headers]
        unsigned = [r for r in receiver.received if "webhook-signature" not in r.headers]
        assert len(signed) == 1 and len(unsigned) == 1  # the callback_url is not signed
        event = verify_webhook(endpoint.secret, signed[0].headers, signed[0].body)
        assert event["type"] == "task.ready" and event["data"]["id"] == str(task.id)
        assert json.loads(unsigned[0].body)["data"]["id"] == str(task.id)
        with pytest.raises(WebhookVerificationError):
            verify_webhook(endpoint.secret, unsigned[0].headers, unsigned[0].body)

        async def logged() -> bool:
            return bool((await client.webhook_deliveries(endpoint.id)).items)

        await eventually(logged, "the delivery log")
        log = await client.webhook_deliveries(endpoint.id, limit=10)
        assert log.endpoint.id == endpoint.id and log.endpoint.state == "active"
        first = log.items[0]
        assert (first.task_id, first.status_code, first.attempt) == (task.id, 200, 1)
        assert first.event_type == "task.ready"
        assert first.webhook_id == signed[0].headers["webhook-id"]

        rotated = await client.rotate_webhook_secret(endpoint.id)
        assert rotated.secret.startswith("whsec_") and rotated.secret != endpoint.secret
        with pytest.raises(WebhookVerificationError):  # that delivery was signed with the old one
            verify_webhook(rotated.secret, signed[0].headers, signed[0].body)

        await client.delete_webhook(endpoint.id)
        with pytest.raises(NotFound):
            await client.get_webhook(endpoint.id)


def test_the_blocking_client_lists_pages_of_endpoints(platform, api_key):
    with Client(platform.url, api_key=api_key) as client:
        made = [client.create_webhook(f"https://example.com/hook/{n}") for n in range(3)]
        first = client.list_webhooks(limit=2)
        assert len(first.items) == 2 and first.next_cursor
        rest = client.list_webhooks(limit=2, cursor=first.next_cursor)
        seen = [w.id for w in first.items + rest.items]
        assert set(w.id for w in made) <= set(seen)
        for endpoint in made:
            client.delete_webhook(endpoint.id)
        assert not client.list_webhooks().items
