"""Probes behind /readyz: each answers "ok" or one word saying what is wrong, within a timeout.

Only what every request needs decides whether the gateway takes traffic: the gateway itself
(it answers) and its auth path. Everything else is reported, not required: with Triton, a
model or the tasks service down, sign-in, datasets and task reads keep working, model
routes answer 503 with Retry-After, and tasks wait in their queue.
"""

import asyncio
from collections.abc import Awaitable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.nats import NatsConnection
from inferlane.inference.v1 import inference_service_pb2, inference_service_pb2_grpc

from .clients import Clients

OK = "ok"
REQUIRED = frozenset({"auth"})
# The inference service reports its Triton dependency under this health service name.
TRITON_SERVICE = "triton"


async def check_all(clients: Clients, seconds: float) -> dict[str, str]:
    """Every dependency at once, so /readyz takes as long as the slowest, not the sum."""
    probes: dict[str, Awaitable[str]] = {
        "postgres": _postgres(clients.engine),
        "nats": _nats(clients.nats),
        **{name: _grpc(ch, "", seconds) for name, ch in clients.services.items()},
        "triton": _grpc(clients.inference, TRITON_SERVICE, seconds),
    }
    states, models = await asyncio.gather(
        asyncio.gather(*(_bounded(p, seconds) for p in probes.values())),
        _models(clients.inference, seconds),
    )
    return {**dict(zip(probes, states, strict=True)), **models}


async def _models(channel: grpc.aio.Channel, seconds: float) -> dict[str, str]:
    """Each model's readiness in Triton, as `model/<name>`; nothing while inference is down
    (its own entry already says so)."""
    stub = inference_service_pb2_grpc.InferenceServiceStub(channel)
    try:
        reply = await stub.ListModels(inference_service_pb2.ListModelsRequest(), timeout=seconds)
    except grpc.aio.AioRpcError:
        return {}
    return {f"model/{m.name}": OK if m.ready else "not_ready" for m in reply.models}


async def _bounded(probe: Awaitable[str], seconds: float) -> str:
    try:
        return await asyncio.wait_for(probe, seconds)
    except TimeoutError:
        return "timeout"
    except Exception:  # a dependency that raises is simply not there
        return "unreachable"


async def _postgres(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return OK


async def _nats(nats: NatsConnection) -> str:
    return OK if await nats.is_ready() else "disconnected"


async def _grpc(channel: grpc.aio.Channel, service: str, seconds: float) -> str:
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=seconds)
    except grpc.aio.AioRpcError as exc:
        return _RPC_STATES.get(exc.code(), exc.code().name.lower())
    if reply.status == health_pb2.HealthCheckResponse.SERVING:
        return OK
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)).lower()


_RPC_STATES = {
    grpc.StatusCode.UNAVAILABLE: "unreachable",
    grpc.StatusCode.DEADLINE_EXCEEDED: "timeout",
    grpc.StatusCode.NOT_FOUND: "unknown_service",  # the peer does not report that name
}


def verdict(components: dict[str, str]) -> str:
    """ready: every component ok; degraded: what every request needs is ok; else not_ready."""
    if all(state == OK for state in components.values()):
        return "ready"
    if all(components.get(name) == OK for name in REQUIRED):
        return "degraded"
    return "not_ready"
