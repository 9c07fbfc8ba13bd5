"""The auth REST routes' gateway: in-process, in front of a real auth service and PostgreSQL.
`api` here is a browser-like httpx client (elsewhere in tests/integration it is the tasks `Api`)."""

from collections.abc import AsyncIterator

import httpx
import pytest

from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from tests.support.gateway_edge import Edge, gateway, gateway_settings
from tests.support.in_process import fast


@pytest.fixture
async def edge(migrated_db, nats_url, auth_server) -> AsyncIterator[Edge]:
    """Cookies not Secure, so httpx's jar sends them over http://."""
    settings = gateway_settings(auth_server.address, migrated_db, nats_url, cookie_secure=False)
    async with gateway(settings) as e:
        yield e


@pytest.fixture
async def api(edge: Edge) -> httpx.AsyncClient:
    return edge.browser()


@pytest.fixture
async def strict_api(
    migrated_db, nats_url, tmp_path, start_process
) -> AsyncIterator[httpx.AsyncClient]:
    """Behind an auth service without a refresh grace period, so that any reuse is a replay
    (the grace period itself is tested against the service, with a clock that stands still)."""
    auth = await start_process(
        build_auth,
        fast(
            AuthSettings,
            database_url=migrated_db,
            nats_url=nats_url,
            signing_key_file=tmp_path / "strict.pem",
            refresh_grace_seconds=0,
        ),
    )
    settings = gateway_settings(auth.address, migrated_db, nats_url, cookie_secure=False)
    async with gateway(settings) as e:
        yield e.browser()
