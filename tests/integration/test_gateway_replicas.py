"""Two gateways, each in front of its own tasks replica, over one database and one NATS: the
task-creation rate limit is one budget for both, and an API key revoked through one gateway
stops working on the other without waiting for its cache to expire."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from services.tasks.process import build as build_tasks
from services.tasks.settings import TasksSettings
from tests.support.gateway_accounts import sign_up
from tests.support.gateway_edge import gateway, gateway_settings
from tests.support.in_process import fast
from tests.support.task_stack import TaskStack, start_task_stack
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

BURST = 3
TASKS = "/api/v1/tasks"
# Far below the gateways' 60-second key cache: only the revocation event can meet it.
REVOCATION_SECONDS = 20


@pytest.fixture
async def replicas(
    own_nats, start_process, migrated_db, triton, tmp_path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    limits = {"create_burst": BURST, "create_rate_per_second": 0.001, "max_active_per_user": 50}
    stack: TaskStack = await start_task_stack(
        start_process,
        database_url=migrated_db,
        nats_url=own_nats.url,
        triton_url=triton.url,
        work_dir=tmp_path,
        workers=0,
        tasks_extra=limits,
    )
    peers = {
        "auth_addr": stack.auth.address,
        "datasets_addr": stack.datasets.address,
        "inference_addr": stack.inference.address,
    }
    second_tasks = await start_process(
        build_tasks,
        fast(TasksSettings, database_url=migrated_db, nats_url=own_nats.url, **peers, **limits),
    )
    async with AsyncExitStack() as edges:
        clients = []
        for tasks in (stack.tasks, second_tasks):
            settings = gateway_settings(
                stack.auth.address,
                migrated_db,
                own_nats.url,
                datasets_addr=stack.datasets.address,
                inference_addr=stack.inference.address,
                tasks_addr=tasks.address,
            )
            edge = await edges.enter_async_context(gateway(settings))
            clients.append(edge.browser())
        yield clients[0], clients[1]


def single() -> dict[str, object]:
    return {"type": "single", "model": "sentiment", "input": {"text": "fine"}}


async def test_the_creation_rate_limit_is_one_budget_across_replicas(replicas) -> None:
    first, second = replicas
    me = await sign_up(first)
    for client in (first, second, first):  # the burst, spent through both replicas
        created = await client.post(TASKS, json=single(), headers=me.headers)
        assert created.status_code == 202, created.text

    refused = await second.post(TASKS, json=single(), headers=me.headers)

    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1


async def test_a_key_revoked_through_one_gateway_stops_working_on_the_other(replicas) -> None:
    first, second = replicas
    me = await sign_up(first)
    created = await first.post("/api/v1/auth/api-keys", json={"name": "ci"}, headers=me.headers)
    assert created.status_code == 201, created.text
    key = created.json()
    keyed = {"X-API-Key": key["secret"]}
    for _ in range(2):  # the second gateway now has the key in its cache
        assert (await second.get("/api/v1/auth/me", headers=keyed)).status_code == 200

    revoked = await first.delete(f"/api/v1/auth/api-keys/{key['id']}", headers=me.headers)
    assert revoked.status_code == 204

    async def refused_by_the_other() -> bool:
        return (await second.get("/api/v1/auth/me", headers=keyed)).status_code == 401

    await eventually(refused_by_the_other, REVOCATION_SECONDS, "the other gateway to refuse")
