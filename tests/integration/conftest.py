"""In-process gRPC processes on port 0, built by the same `build()` as `python -m`."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from inferlane.common.grpc.server import GrpcProcess
from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings

Starter = Callable[[Callable[[Any], Awaitable[GrpcProcess]], Any], Awaitable[GrpcProcess]]


@pytest.fixture
async def start_process() -> AsyncIterator[Starter]:
    started: list[GrpcProcess] = []

    async def start(build: Callable[[Any], Awaitable[GrpcProcess]], settings: Any) -> GrpcProcess:
        process = await build(settings)
        await process.start()
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        await process.stop(grace=0)


async def health_status(address: str, service: str = "") -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=2
        )
        return int(response.status)


@pytest.fixture
async def auth_server(
    migrated_db: str, nats_url: str, tmp_path, start_process: Starter
) -> GrpcProcess:
    """A real auth service (in-process, port 0) with its own signing key."""
    settings = fast(
        AuthSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        signing_key_file=tmp_path / "signing-key.pem",
    )
    return await start_process(build_auth, settings)


@pytest.fixture
async def auth_channel(auth_server: GrpcProcess) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(auth_server.address) as channel:
        yield channel


def fast(settings_cls: Any, **values: Any) -> Any:
    """Settings for an in-process server: free port, no metrics server, quick health probes."""
    return settings_cls(grpc_port=0, metrics_port=None, health_interval_seconds=0.1, **values)
