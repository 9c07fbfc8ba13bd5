"""Cross-user matrix: user B gets 404 (code not_found) on every route that names user A's
resource, through the gateway, and NOT_FOUND from the service directly over gRPC; A's
resource is still there afterwards. Never 403, so B cannot even learn that it exists.
Admins are intruders too: they do not read other users' data unless a route says so.

The matrix is the table `ROUTES`, one `Route` per REST route with an ``{id}``:
- ``make``: creates A's resource through the gateway (as A) and returns its id;
- ``method``, ``path`` (with ``{id}``) and ``json``: B's request;
- ``service`` and ``rpc``: the same operation over gRPC on that service's channel, as B;
- ``alive``: whether A still has the resource (B's attempts must change nothing);
- ``unknown_id`` (optional): an id that names nothing, for routes whose ``{id}`` is made of
  several ids (a share is ``<dataset id>/shares/<share id>``); a fresh UUID by default.

Datasets and tasks routes join by adding rows (e.g. GET/DELETE /api/v1/datasets/{id},
GET /api/v1/tasks/{id}, POST /api/v1/tasks/{id}/cancel, …) and, for a new ``service``, its
address in the `stack` fixture (and the gateway settings there).
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from inferlane.auth.v1 import auth_service_pb2 as auth_pb
from inferlane.auth.v1 import auth_service_pb2_grpc
from inferlane.datasets.v1 import datasets_service_pb2 as datasets_pb
from inferlane.tasks.v1 import tasks_service_pb2 as tasks_pb
from inferlane.tasks.v1 import tasks_types_pb2 as tasks_types
from services.tasks.process import build as build_tasks
from services.tasks.settings import TasksSettings
from tests.support.datasets import stub as datasets_stub
from tests.support.gateway_accounts import Session, promote_to_admin, sign_in, sign_up
from tests.support.gateway_datasets import REVIEWS, datasets_settings, start_datasets
from tests.support.gateway_edge import gateway, gateway_settings
from tests.support.in_process import fast
from tests.support.inference_calls import start_inference
from tests.support.problems import assert_problem
from tests.support.task_calls import stub as tasks_stub

Metadata = list[tuple[str, str]]


@dataclass(frozen=True)
class Actor:
    """A signed-in user and the gateway client they speak through."""

    api: httpx.AsyncClient
    session: Session

    @property
    def headers(self) -> dict[str, str]:
        return self.session.headers

    @property
    def metadata(self) -> Metadata:
        return [("authorization", f"Bearer {self.session.access_token}")]


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str
    make: Callable[[Actor], Awaitable[str]]
    service: str
    rpc: Callable[[grpc.aio.Channel, str, Metadata], Awaitable[Any]]
    alive: Callable[[Actor, str], Awaitable[bool]]
    json: dict[str, Any] | None = None
    unknown_id: Callable[[], str] = lambda: str(uuid.uuid4())


# -- API keys -------------------------------------------------------------------------------


async def make_api_key(owner: Actor) -> str:
    response = await owner.api.post(
        "/api/v1/auth/api-keys", json={"name": "owned by A"}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def api_key_alive(owner: Actor, key_id: str) -> bool:
    response = await owner.api.get("/api/v1/auth/api-keys?limit=100", headers=owner.headers)
    return key_id in {k["id"] for k in response.json()["items"]}


async def revoke_api_key_rpc(channel: grpc.aio.Channel, key_id: str, metadata: Metadata) -> Any:
    stub = auth_service_pb2_grpc.AuthServiceStub(channel)
    return await stub.RevokeApiKey(
        auth_pb.RevokeApiKeyRequest(api_key_id=key_id), metadata=metadata, timeout=10
    )


# -- datasets -------------------------------------------------------------------------------

SHARE_TOKENS: dict[str, str] = {}  # "<dataset id>/shares/<share id>" → token, for `alive`


async def make_dataset(owner: Actor) -> str:
    response = await owner.api.post(
        "/api/v1/datasets",
        files={"file": ("owned-by-a.csv", REVIEWS, "text/csv")},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def dataset_alive(owner: Actor, dataset_id: str) -> bool:
    response = await owner.api.get(f"/api/v1/datasets/{dataset_id}", headers=owner.headers)
    return response.status_code == 200


async def make_share(owner: Actor) -> str:
    dataset_id = await make_dataset(owner)
    response = await owner.api.post(
        f"/api/v1/datasets/{dataset_id}/shares", json={}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    share = response.json()
    ref = f"{dataset_id}/shares/{share['id']}"
    SHARE_TOKENS[ref] = share["token"]
    return ref


async def share_alive(owner: Actor, ref: str) -> bool:
    response = await owner.api.get(f"/api/v1/shared/{SHARE_TOKENS[ref]}")  # no sign-in needed
    return response.status_code == 200


async def get_dataset_rpc(channel: grpc.aio.Channel, dataset_id: str, metadata: Metadata) -> Any:
    return await datasets_stub(channel).GetDataset(
        datasets_pb.GetDatasetRequest(dataset_id=dataset_id), metadata=metadata, timeout=10
    )


async def delete_dataset_rpc(channel: grpc.aio.Channel, dataset_id: str, metadata: Metadata) -> Any:
    return await datasets_stub(channel).DeleteDataset(
        datasets_pb.DeleteDatasetRequest(dataset_id=dataset_id), metadata=metadata, timeout=10
    )


async def get_rows_rpc(channel: grpc.aio.Channel, dataset_id: str, metadata: Metadata) -> Any:
    return await datasets_stub(channel).GetRows(
        datasets_pb.GetRowsRequest(dataset_id=dataset_id), metadata=metadata, timeout=10
    )


async def download_rpc(channel: grpc.aio.Channel, dataset_id: str, metadata: Metadata) -> Any:
    call = datasets_stub(channel).DownloadDataset(
        datasets_pb.DownloadDatasetRequest(dataset_id=dataset_id), metadata=metadata, timeout=10
    )
    return await call.read()


async def create_share_rpc(channel: grpc.aio.Channel, dataset_id: str, metadata: Metadata) -> Any:
    return await datasets_stub(channel).CreateShare(
        datasets_pb.CreateShareRequest(dataset_id=dataset_id), metadata=metadata, timeout=10
    )


async def revoke_share_rpc(channel: grpc.aio.Channel, ref: str, metadata: Metadata) -> Any:
    dataset_id, _, share_id = ref.partition("/shares/")
    return await datasets_stub(channel).RevokeShare(
        datasets_pb.RevokeShareRequest(dataset_id=dataset_id, share_id=share_id),
        metadata=metadata,
        timeout=10,
    )


def unknown_share() -> str:
    return f"{uuid.uuid4()}/shares/{uuid.uuid4()}"


def dataset_route(name: str, method: str, suffix: str, rpc: Any, **extra: Any) -> Route:
    return Route(
        name=name,
        method=method,
        path="/api/v1/datasets/{id}" + suffix,
        make=make_dataset,
        service="datasets",
        rpc=rpc,
        alive=dataset_alive,
        **extra,
    )


# -- tasks (no worker runs them here: they stay unfinished, so a cancel would show) -----------


async def make_task(owner: Actor) -> str:
    response = await owner.api.post(
        "/api/v1/tasks",
        json={"type": "single", "model": "sentiment", "input": {"text": "owned by A"}},
        headers=owner.headers,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def task_alive(owner: Actor, task_id: str) -> bool:
    response = await owner.api.get(f"/api/v1/tasks/{task_id}", headers=owner.headers)
    return response.status_code == 200 and response.json()["status"] != "cancelled"


async def get_task_rpc(channel: grpc.aio.Channel, task_id: str, metadata: Metadata) -> Any:
    return await tasks_stub(channel).GetTask(
        tasks_pb.GetTaskRequest(task_id=task_id), metadata=metadata, timeout=10
    )


async def cancel_task_rpc(channel: grpc.aio.Channel, task_id: str, metadata: Metadata) -> Any:
    return await tasks_stub(channel).CancelTask(
        tasks_pb.CancelTaskRequest(task_id=task_id), metadata=metadata, timeout=10
    )


async def list_results_rpc(channel: grpc.aio.Channel, task_id: str, metadata: Metadata) -> Any:
    return await tasks_stub(channel).ListResults(
        tasks_pb.ListResultsRequest(task_id=task_id), metadata=metadata, timeout=10
    )


async def export_results_rpc(channel: grpc.aio.Channel, task_id: str, metadata: Metadata) -> Any:
    call = tasks_stub(channel).ExportResults(
        tasks_pb.ExportResultsRequest(task_id=task_id, format=tasks_types.EXPORT_FORMAT_CSV),
        metadata=metadata,
        timeout=10,
    )
    return await call.read()


async def watch_task_rpc(channel: grpc.aio.Channel, task_id: str, metadata: Metadata) -> Any:
    call = tasks_stub(channel).WatchTask(
        tasks_pb.WatchTaskRequest(task_id=task_id), metadata=metadata, timeout=10
    )
    try:
        return await call.read()
    finally:
        call.cancel()


def task_route(name: str, method: str, suffix: str, rpc: Any) -> Route:
    return Route(
        name=name,
        method=method,
        path="/api/v1/tasks/{id}" + suffix,
        make=make_task,
        service="tasks",
        rpc=rpc,
        alive=task_alive,
    )


ROUTES = [
    Route(
        name="revoke-api-key",
        method="DELETE",
        path="/api/v1/auth/api-keys/{id}",
        make=make_api_key,
        service="auth",
        rpc=revoke_api_key_rpc,
        alive=api_key_alive,
    ),
    dataset_route("get-dataset", "GET", "", get_dataset_rpc),
    dataset_route("delete-dataset", "DELETE", "", delete_dataset_rpc),
    dataset_route("dataset-rows", "GET", "/rows", get_rows_rpc),
    dataset_route("download-dataset", "GET", "/download", download_rpc),
    dataset_route("create-share", "POST", "/shares", create_share_rpc, json={"expires_in": 3600}),
    Route(
        name="revoke-share",
        method="DELETE",
        path="/api/v1/datasets/{id}",  # {id} is "<dataset id>/shares/<share id>"
        make=make_share,
        service="datasets",
        rpc=revoke_share_rpc,
        alive=share_alive,
        unknown_id=unknown_share,
    ),
    task_route("get-task", "GET", "", get_task_rpc),
    task_route("cancel-task", "POST", "/cancel", cancel_task_rpc),
    task_route("task-results", "GET", "/results", list_results_rpc),
    task_route("export-task-results", "GET", "/results?format=csv", export_results_rpc),
    task_route("task-events", "GET", "/events", watch_task_rpc),
]

INTRUDERS = ["user", "admin"]


@dataclass
class Stack:
    api: httpx.AsyncClient
    channels: dict[str, grpc.aio.Channel]
    db: str
    key_dir: Path

    async def actor(self, role: str = "user") -> Actor:
        session = await sign_up(self.api)
        if role == "admin":
            await promote_to_admin(self.db, session.email, self.key_dir)
            session = await sign_in(self.api, session.email)  # a token that says admin
        return Actor(self.api, session)


@pytest.fixture
async def stack(
    migrated_db, nats_url, auth_server, start_process, triton, tmp_path
) -> AsyncIterator[Stack]:
    datasets = await start_datasets(
        start_process,
        datasets_settings(migrated_db, nats_url, auth_server.address, tmp_path / "blobs"),
    )
    inference = await start_inference(start_process, auth_server, triton.url)
    tasks = await start_process(
        build_tasks,
        fast(
            TasksSettings,
            database_url=migrated_db,
            nats_url=nats_url,
            auth_addr=auth_server.address,
            datasets_addr=datasets.address,
            inference_addr=inference.address,
        ),
    )
    addresses = {
        "auth": auth_server.address,
        "datasets": datasets.address,
        "tasks": tasks.address,
    }
    settings = gateway_settings(
        addresses["auth"],
        migrated_db,
        nats_url,
        datasets_addr=addresses["datasets"],
        tasks_addr=addresses["tasks"],
        inference_addr=inference.address,
    )
    async with gateway(settings) as edge:
        channels = {name: grpc.aio.insecure_channel(a) for name, a in addresses.items()}
        try:
            yield Stack(edge.browser(), channels, migrated_db, tmp_path)
        finally:
            for channel in channels.values():
                await channel.close(None)


@pytest.mark.parametrize("intruder", INTRUDERS)
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
async def test_another_users_resource_is_404_through_the_gateway(
    stack: Stack, route: Route, intruder: str
) -> None:
    owner, other = await stack.actor(), await stack.actor(intruder)
    resource_id = await route.make(owner)
    response = await other.api.request(
        route.method, route.path.format(id=resource_id), json=route.json, headers=other.headers
    )
    body = assert_problem(response, 404, "not_found")
    # Word for word what a resource that never existed gets: nothing tells the two apart.
    nowhere = await other.api.request(
        route.method,
        route.path.format(id=route.unknown_id()),
        json=route.json,
        headers=other.headers,
    )
    assert body["detail"] == nowhere.json()["detail"]
    assert await route.alive(owner, resource_id)


@pytest.mark.parametrize("intruder", INTRUDERS)
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
async def test_another_users_resource_is_not_found_over_grpc(
    stack: Stack, route: Route, intruder: str
) -> None:
    owner, other = await stack.actor(), await stack.actor(intruder)
    resource_id = await route.make(owner)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await route.rpc(stack.channels[route.service], resource_id, other.metadata)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert await route.alive(owner, resource_id)


async def test_lists_show_only_the_callers_own_api_keys(stack: Stack) -> None:
    owner, other = await stack.actor(), await stack.actor()
    key_id = await make_api_key(owner)
    listed = await other.api.get("/api/v1/auth/api-keys?limit=100", headers=other.headers)
    assert listed.status_code == 200
    assert key_id not in {k["id"] for k in listed.json()["items"]}


async def test_lists_show_only_the_callers_own_datasets(stack: Stack) -> None:
    owner, other = await stack.actor(), await stack.actor()
    dataset_id = await make_dataset(owner)
    listed = await other.api.get("/api/v1/datasets?limit=100", headers=other.headers)
    assert listed.status_code == 200
    assert dataset_id not in {d["id"] for d in listed.json()["items"]}
    mine = await owner.api.get("/api/v1/datasets?limit=100", headers=owner.headers)
    assert dataset_id in {d["id"] for d in mine.json()["items"]}


async def test_lists_show_only_the_callers_own_tasks(stack: Stack) -> None:
    owner, other = await stack.actor(), await stack.actor()
    task_id = await make_task(owner)
    listed = await other.api.get("/api/v1/tasks?limit=100", headers=other.headers)
    assert listed.status_code == 200
    assert task_id not in {t["id"] for t in listed.json()["items"]}
    mine = await owner.api.get("/api/v1/tasks?limit=100", headers=owner.headers)
    assert task_id in {t["id"] for t in mine.json()["items"]}
