"""Helpers for in-process gRPC servers (the start_process fixture starts them)."""

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from inferlane.common.grpc.server import GrpcProcess

Starter = Callable[[Callable[[Any], Awaitable[GrpcProcess]], Any], Awaitable[GrpcProcess]]


async def health_status(address: str, service: str = "") -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=2
        )
        return int(response.status)


def fast(settings_cls: Any, **values: Any) -> Any:
    """Settings for an in-process server: free port, no metrics server, quick health probes."""
    return settings_cls(grpc_port=0, metrics_port=None, health_interval_seconds=0.1, **values)
