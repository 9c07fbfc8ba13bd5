"""The dataset REST routes' stack: gateway in-process, real datasets and auth services over
gRPC, real PostgreSQL and NATS, real files on disk. `api` here is a browser-like httpx client."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from inferlane.common.grpc.server import GrpcProcess
from tests.support.accounts import MovableClock
from tests.support.gateway_accounts import Session, sign_up
from tests.support.gateway_datasets import LIMIT, datasets_settings, start_datasets
from tests.support.gateway_edge import Edge, gateway, gateway_settings


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def upload_limit(request: pytest.FixtureRequest) -> int:
    """The size limit of gateway and service alike; tests may override it indirectly."""
    return int(getattr(request, "param", LIMIT))


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
async def datasets_server(
    migrated_db, nats_url, auth_server, start_process, storage_dir, clock, upload_limit
) -> GrpcProcess:
    settings = datasets_settings(
        migrated_db, nats_url, auth_server.address, storage_dir, upload_limit
    )
    return await start_datasets(start_process, settings, clock)


@pytest.fixture
async def edge(
    migrated_db, nats_url, auth_server, datasets_server, upload_limit
) -> AsyncIterator[Edge]:
    settings = gateway_settings(
        auth_server.address,
        migrated_db,
        nats_url,
        datasets_addr=datasets_server.address,
        max_upload_bytes=upload_limit,
        cookie_secure=False,  # so httpx's jar sends the session cookies over http://
    )
    async with gateway(settings) as e:
        yield e


@pytest.fixture
async def api(edge: Edge) -> httpx.AsyncClient:
    return edge.browser()


@pytest.fixture
async def alice(api: httpx.AsyncClient) -> Session:
    return await sign_up(api)
