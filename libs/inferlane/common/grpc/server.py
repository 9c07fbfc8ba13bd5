"""One bootstrap for every gRPC process: aio server, interceptors, health, reflection, metrics,
and a graceful stop (health NOT_SERVING first, then in-flight RPCs get a grace period)."""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
import uvloop
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from inferlane.common.grpc.any_rpc import ServerInterceptor
from inferlane.common.grpc.health import (
    LIVENESS,
    NOT_SERVING,
    SERVING,
    HealthCheck,
    HealthReporter,
)
from inferlane.common.grpc.interceptors import default_interceptors
from inferlane.common.settings import ServiceSettings
from inferlane.common.tracing import configure_tracing

log = structlog.get_logger("inferlane.server")

StopHook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Registration:
    """A servicer and the generated function that adds it to a server."""

    full_name: str
    add_to_server: Callable[[Any, grpc.aio.Server], None]
    servicer: Any


# Clients reconnect (and so re-resolve the peer's name, finding new replicas) at least this
# often; calls in flight get the grace, long enough for a watched task or a large upload.
SERVER_OPTIONS = [
    ("grpc.max_connection_age_ms", 5 * 60 * 1000),
    ("grpc.max_connection_age_grace_ms", 60 * 60 * 1000),
]


class GrpcProcess:
    def __init__(
        self,
        *,
        name: str,
        settings: ServiceSettings,
        registrations: Sequence[Registration] = (),
        checks: Mapping[str, HealthCheck] | None = None,
        on_stop: Sequence[StopHook] = (),
        auth: ServerInterceptor | None = None,
        background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
    ) -> None:
        self.name = name
        self._auth = auth
        self._background = list(background)
        self._background_tasks: list[asyncio.Task[None]] = []
        self.settings = settings
        self.health = health_aio.HealthServicer()
        self.port = 0
        self._registrations = list(registrations)
        self._on_stop = list(on_stop)
        self._reporter = HealthReporter(
            self.health,
            [r.full_name for r in self._registrations],
            checks or {},
            interval=settings.health_interval_seconds,
        )
        self._server: grpc.aio.Server | None = None
        self._reporter_task: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        return f"{self.settings.grpc_host}:{self.port}"

    async def start(self) -> int:
        server = grpc.aio.server(
            interceptors=default_interceptors(self._auth), options=SERVER_OPTIONS
        )
        for registration in self._registrations:
            registration.add_to_server(registration.servicer, server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        names = [r.full_name for r in self._registrations]
        reflection.enable_server_reflection(
            [
                *names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            server,
        )
        self.port = server.add_insecure_port(f"{self.settings.grpc_host}:{self.settings.grpc_port}")
        await self._reporter.mark_all(NOT_SERVING)  # until the first probe says otherwise
        await self.health.set(LIVENESS, SERVING)
        await server.start()
        self._server = server
        self._reporter_task = asyncio.create_task(self._reporter.run(), name=f"{self.name}-health")
        self._background_tasks = [asyncio.create_task(job()) for job in self._background]
        if self.settings.metrics_port is not None:
            start_http_server(self.settings.metrics_port, addr=self.settings.grpc_host)
        log.info(
            "started", process=self.name, grpc=self.address, metrics_port=self.settings.metrics_port
        )
        return self.port

    async def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING first so balancers stop sending, then let in-flight RPCs finish."""
        await self.health.enter_graceful_shutdown()
        if self._reporter_task is not None:
            self._reporter_task.cancel()
        if self._server is not None:
            log.info("stopping", process=self.name, grace_seconds=grace)
            await self._server.stop(
                self.settings.shutdown_grace_seconds if grace is None else grace
            )
        for hook in self._on_stop:
            await hook()
        # Hooks let loops finish their work; whatever still runs now is stopped here, so no
        # loop outlives its process (and its closed connections).
        for task in self._background_tasks:
            task.cancel()
        await asyncio.gather(*self._background_tasks, return_exceptions=True)
        log.info("stopped", process=self.name)


def run(build: Callable[[], Awaitable[GrpcProcess]]) -> None:
    """Entry point for `python -m services.<name>`: start, wait for SIGTERM/SIGINT, stop.
    On uvloop, as the gateway: its C event loop costs each service less CPU per call."""
    uvloop.run(_serve(build))


async def _serve(build: Callable[[], Awaitable[GrpcProcess]]) -> None:
    process = await build()
    # Here, not in build(): in-process tests build many processes under one test provider.
    provider = configure_tracing(process.name)
    await process.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    await process.stop()
    if provider is not None:
        provider.shutdown()  # flushes the spans still queued
