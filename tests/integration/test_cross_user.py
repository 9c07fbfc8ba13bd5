"""Cross-user matrix: user B gets 404 (code not_found) on every route that names user A's
resource, through the gateway, and NOT_FOUND from the service directly over gRPC; A's
resource is still there afterwards. Never 403, so B cannot even learn that it exists.
Admins are intruders too: they do not read other users' data unless a route says so.

The matrix is the table `ROUTES`, one `Route` per REST route with an ``{id}``:
- ``make``: creates A's resource through the gateway (as A) and returns its id;
- ``method``, ``path`` (with ``{id}``) and ``json``: B's request;
- ``service`` and ``rpc``: the same operation over gRPC on that service's channel, as B;
- ``alive``: whether A still has the resource (B's attempts must change nothing).

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
from tests.integration.test_gateway_auth import (
    Session,
    assert_problem,
    gateway,
    gateway_settings,
    promote_to_admin,
    sign_in,
    sign_up,
)

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
    # Datasets and tasks routes are added here as they land.
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
async def stack(migrated_db, nats_url, auth_server, tmp_path) -> AsyncIterator[Stack]:
    addresses = {"auth": auth_server.address}
    settings = gateway_settings(addresses["auth"], migrated_db, nats_url)
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
        route.method, route.path.format(id=uuid.uuid4()), json=route.json, headers=other.headers
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
