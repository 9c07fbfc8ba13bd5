"""Signed completion webhooks end to end: endpoints through the gateway (secret shown once,
owner only, rotation), and task events POSTed by the tasks service's dispatcher to a real HTTP
receiver on 127.0.0.1 (allow-listed), signed the Standard Webhooks way, retried with the same
webhook-id, logged, and an endpoint disabled after failing deliveries."""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from inferlane.common.clock import utc_now
from inferlane.common.db import autocommit, make_engine
from inferlane.events.v1 import events_pb2
from services.tasks import messages
from services.tasks.webhooks import events, signing
from services.tasks.webhooks.tables import deliveries
from tests.support.gateway_accounts import Session
from tests.support.gateway_tasks import TASKS, Api, create, single, tasks_api, wait_until_finished
from tests.support.problems import assert_problem
from tests.support.sql_count import counting
from tests.support.waiting import eventually, free_port
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.slow

HOOKS = "/api/v1/webhooks"
FAST = {
    "webhooks_allow_networks": "127.0.0.1/32",
    "webhooks_first_retry_seconds": 0.2,
    "webhooks_max_retry_seconds": 0.5,
    "webhooks_poll_seconds": 0.2,
}


@pytest.fixture
async def api(own_nats, start_process, migrated_db, triton, tmp_path) -> AsyncIterator[Api]:
    """The whole pipeline; deliveries retried for two minutes."""
    extra = FAST | {"webhooks_give_up_seconds": 120}
    async for value in tasks_api(
        start_process, migrated_db, own_nats.url, triton, tmp_path, tasks_extra=extra
    ):
        yield value


@pytest.fixture
async def failing_api(own_nats, start_process, migrated_db, triton, tmp_path) -> AsyncIterator[Api]:
    """Deliveries given up after a second; two failed in a row disable an endpoint."""
    extra = FAST | {"webhooks_give_up_seconds": 1, "webhooks_disable_after": 2}
    async for value in tasks_api(
        start_process, migrated_db, own_nats.url, triton, tmp_path, tasks_extra=extra
    ):
        yield value


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's side of the Standard Webhooks spec, written independently of signing."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers["webhook-signature"].split(" ")]
    return any(hmac.compare_digest(expected, g) for g in given)


async def register(api: Api, me: Session, url: str) -> dict[str, Any]:
    response = await api.http.post(HOOKS, json={"url": url}, headers=me.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def finished_task(api: Api, me: Session) -> str:
    response = await create(api, me, single())
    assert response.status_code == 202, response.text
    task_id = str(response.json()["id"])
    await wait_until_finished(api.http, me.headers, task_id)
    return task_id


async def log_of(api: Api, me: Session, hook_id: str) -> dict[str, Any]:
    response = await api.http.get(f"{HOOKS}/{hook_id}/deliveries", headers=me.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_signing_matches_the_spec_test_vector() -> None:
    """The example of the Standard Webhooks spec (and its libraries' tests)."""
    key = signing.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    found = signing.signature(
        key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert found == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


async def test_endpoints_are_private_and_the_secret_is_shown_once(api: Api) -> None:
    me, stranger = await api.user(), await api.user()
    hook = await register(api, me, "https://example.com/hook")
    assert hook["secret"].startswith("whsec_") and hook["state"] == "active"
    listed = await api.http.get(HOOKS, headers=me.headers)
    assert [h["id"] for h in listed.json()["items"]] == [hook["id"]]
    assert "secret" not in listed.json()["items"][0]
    one = await api.http.get(f"{HOOKS}/{hook['id']}", headers=me.headers)
    assert one.status_code == 200 and "secret" not in one.json()

    for method, path in [
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("POST", "/enable"),
        ("GET", "/deliveries"),
    ]:
        refused = await api.http.request(
            method, f"{HOOKS}/{hook['id']}{path}", headers=stranger.headers
        )
        assert_problem(refused, 404, "not_found")
    assert (await api.http.get(HOOKS, headers=stranger.headers)).json()["items"] == []

    rotated = await api.http.post(f"{HOOKS}/{hook['id']}/rotate-secret", headers=me.headers)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != hook["secret"]

    for url in ["http://10.0.0.1/hook", "ftp://example.com/x", "http://169.254.169.254/"]:
        refused = await api.http.post(HOOKS, json={"url": url}, headers=me.headers)
        assert_problem(refused, 422, "01")

    gone = await api.http.delete(f"{HOOKS}/{hook['id']}", headers=me.headers)
    assert gone.status_code == 204
    assert_problem(
        await api.http.get(f"{HOOKS}/{hook['id']}", headers=me.headers), 404, "not_found"
    )


async def test_a_ready_task_is_posted_signed_retried_with_the_same_id_and_logged(
    api: Api,
) -> None:
    receiver = await Receiver(statuses=[500]).start()
    try:
        me = await api.user()
        hook = await register(api, me, receiver.url)
        task_id = await finished_task(api, me)

        async def two_posts() -> bool:
            return len(receiver.received) >= 2

        await eventually(two_posts, 60, "a failed delivery and its retry")
        first, second = receiver.received[:2]
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert first.body == second.body
        for post in (first, second):
            assert verify(hook["secret"], post.headers, post.body)
        event = json.loads(second.body)
        assert event["type"] == "task.ready"
        assert event["data"]["id"] == task_id and event["data"]["status"] == "ready"
        assert event["data"]["model"] == "sentiment"
        assert event["data"]["links"]["self"] == f"{TASKS}/{task_id}"
        assert event["data"]["counts"]["total"] == 1

        async def logged() -> bool:
            return len((await log_of(api, me, hook["id"]))["items"]) == 2

        await eventually(logged, 30, "both attempts in the log")
        log = await log_of(api, me, hook["id"])
        newest, oldest = log["items"]
        assert (oldest["attempt"], oldest["status_code"]) == (1, 500)
        assert (newest["attempt"], newest["status_code"], newest["error"]) == (2, 200, None)
        assert newest["webhook_id"] == first.headers["webhook-id"]
        assert newest["task_id"] == task_id and newest["event_type"] == "task.ready"
        assert log["endpoint"]["state"] == "active"
        # The log pages like every list: a cursor while attempts remain, none after the last.
        url = f"{HOOKS}/{hook['id']}/deliveries"
        page = (await api.http.get(url, params={"limit": 1}, headers=me.headers)).json()
        assert [a["attempt"] for a in page["items"]] == [2] and page["next_cursor"]
        cursor = {"limit": 1, "cursor": page["next_cursor"]}
        page = (await api.http.get(url, params=cursor, headers=me.headers)).json()
        assert [a["attempt"] for a in page["items"]] == [1] and page["next_cursor"] is None

        trail = await api.http.get(f"{TASKS}/{task_id}/audit", headers=me.headers)
        assert "webhook_delivered" in [e["event"] for e in trail.json()["items"]]

        # After a rotation only the new secret signs.
        rotated = await api.http.post(f"{HOOKS}/{hook['id']}/rotate-secret", headers=me.headers)
        new_secret = rotated.json()["secret"]
        await finished_task(api, me)

        async def third() -> bool:
            return len(receiver.received) >= 3

        await eventually(third, 60, "the second task's event")
        post = receiver.received[2]
        assert verify(new_secret, post.headers, post.body)
        assert not verify(hook["secret"], post.headers, post.body)
    finally:
        await receiver.stop()


async def test_a_receiver_that_is_down_gets_the_event_once_it_is_up(api: Api) -> None:
    port = free_port()
    me = await api.user()
    hook = await register(api, me, f"http://127.0.0.1:{port}/hook")
    task_id = await finished_task(api, me)

    async def refused_once() -> bool:
        items = (await log_of(api, me, hook["id"]))["items"]
        return bool(items) and items[-1]["status_code"] is None

    await eventually(refused_once, 60, "a refused attempt")
    receiver = await Receiver(port=port).start()
    try:

        async def received() -> bool:
            return bool(receiver.received)

        await eventually(received, 60, "the retry to the receiver")
        post = receiver.received[0]
        assert verify(hook["secret"], post.headers, post.body)
        assert json.loads(post.body)["data"]["id"] == task_id
        log = await log_of(api, me, hook["id"])
        ids = {a["webhook_id"] for a in log["items"]}
        assert ids == {post.headers["webhook-id"]}
    finally:
        await receiver.stop()


async def test_a_redelivered_event_adds_no_delivery(api: Api) -> None:
    me = await api.user()
    await register(api, me, "https://example.com/hook")
    task_id = await finished_task(api, me)
    message = events_pb2.TaskCompleted(
        event_id=str(uuid.uuid4()), owner_id=me.user_id, task_id=task_id, done=1, total=1
    )
    message.occurred_at.FromDatetime(utc_now())
    payload = message.SerializeToString()
    engine = make_engine(api.db)
    try:
        counts = []
        for _ in range(2):
            async with engine.begin() as conn:
                counts.append(await events.record(conn, messages.COMPLETED, payload, utc_now()))
        async with engine.connect() as conn:
            stored = await conn.scalar(
                select(func.count())
                .select_from(deliveries)
                .where(deliveries.c.event_id == uuid.UUID(message.event_id))
            )
    finally:
        await engine.dispose()
    assert counts == [1, 0] and stored == 1


def completed(owner_id: str, task_id: str, when: Any) -> bytes:
    message = events_pb2.TaskCompleted(
        event_id=str(uuid.uuid4()), owner_id=owner_id, task_id=task_id, done=1, total=1
    )
    message.occurred_at.FromDatetime(when)
    return message.SerializeToString()


async def test_a_terminal_event_with_no_one_to_tell_costs_one_read(api: Api) -> None:
    """Most owners have no webhooks: their tasks' terminal events are one statement (no
    transaction), and still become deliveries once an endpoint or a callback is there."""
    me, other = await api.user(), await api.user()
    task_id = await finished_task(api, me)
    before = utc_now()
    engine = make_engine(api.db)
    reads = autocommit(engine)

    async def tell(owner: str, task: str, when: Any = None) -> bool:
        async with reads.connect() as conn:
            payload = completed(owner, task, when or utc_now())
            return await events.anyone_to_tell(conn, messages.COMPLETED, payload)

    try:
        with counting(engine) as sent:
            assert not await tell(me.user_id, task_id)
        assert sent.count == 1, str(sent)
        async with reads.connect() as conn:
            assert not await events.anyone_to_tell(conn, messages.CREATED, b"")
        await register(api, me, "https://example.com/hook")
        assert await tell(me.user_id, task_id)
        assert not await tell(me.user_id, task_id, before)  # registered after the event
        assert not await tell(other.user_id, str(uuid.uuid4()))  # someone else's endpoint
        called_back = await create(api, other, single() | {"callback_url": "http://127.0.0.1:9/cb"})
        assert called_back.status_code == 202, called_back.text
        assert await tell(other.user_id, called_back.json()["id"])
    finally:
        await engine.dispose()


async def test_an_endpoint_failing_every_delivery_is_disabled_and_can_be_enabled(
    failing_api: Api,
) -> None:
    api = failing_api
    receiver = await Receiver(statuses=[500] * 1000).start()
    try:
        me = await api.user()
        hook = await register(api, me, receiver.url)
        for _ in range(2):
            await finished_task(api, me)

        async def disabled() -> bool:
            found = await api.http.get(f"{HOOKS}/{hook['id']}", headers=me.headers)
            return bool(found.json()["state"] == "disabled")

        await eventually(disabled, 90, "the endpoint disabled")
        found = (await api.http.get(f"{HOOKS}/{hook['id']}", headers=me.headers)).json()
        assert "in a row" in found["disabled_reason"] and "HTTP 500" in found["disabled_reason"]
        assert (await log_of(api, me, hook["id"]))["endpoint"]["state"] == "disabled"
        enabled = await api.http.post(f"{HOOKS}/{hook['id']}/enable", headers=me.headers)
        assert enabled.status_code == 200, enabled.text
        assert (enabled.json()["state"], enabled.json()["disabled_reason"]) == ("active", None)
    finally:
        await receiver.stop()


async def test_a_tasks_callback_url_gets_its_event_unsigned(api: Api) -> None:
    receiver = await Receiver().start()
    try:
        me = await api.user()
        refused = await create(api, me, single() | {"callback_url": "http://10.1.2.3/hook"})
        assert_problem(refused, 422, "01")
        response = await create(api, me, single() | {"callback_url": receiver.url})
        assert response.status_code == 202, response.text
        task_id = response.json()["id"]
        await wait_until_finished(api.http, me.headers, task_id)

        async def received() -> bool:
            return bool(receiver.received)

        await eventually(received, 60, "the callback")
        post = receiver.received[0]
        assert "webhook-signature" not in post.headers and post.headers["webhook-id"]
        event = json.loads(post.body)
        assert (event["type"], event["data"]["id"]) == ("task.ready", task_id)
    finally:
        await receiver.stop()
