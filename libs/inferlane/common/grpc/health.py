"""Health that tells the truth: SERVING only while every dependency of the process answers.

Each dependency is also reported under its own name ("postgres", "nats", "triton"), so
the gateway's /readyz can say which one is down. "liveness" says only that the process
answers: a liveness probe must not restart pods because a dependency is down.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence

import structlog
from grpc_health.v1 import health_pb2
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

HealthCheck = Callable[[], Awaitable[bool]]

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
LIVENESS = "liveness"  # SERVING from start to stop, whatever the dependencies say

log = structlog.get_logger("inferlane.health")


class HealthReporter:
    def __init__(
        self,
        servicer: health_aio.HealthServicer,
        service_names: Sequence[str],
        checks: Mapping[str, HealthCheck],
        *,
        interval: float = 1.0,
        timeout: float = 2.0,
    ) -> None:
        self._servicer = servicer
        self._service_names = ["", *service_names]
        self._checks = dict(checks)
        self._interval = interval
        self._timeout = timeout
        self._last: dict[str, bool] = {}

    async def mark_all(self, status: int) -> None:
        for name in [*self._service_names, *self._checks]:
            await self._servicer.set(name, status)

    async def probe_once(self) -> dict[str, bool]:
        names = list(self._checks)
        results = await asyncio.gather(*(self._probe(self._checks[n]) for n in names))
        states = dict(zip(names, results, strict=True))
        for name, ok in states.items():
            await self._servicer.set(name, SERVING if ok else NOT_SERVING)
        overall = SERVING if all(states.values()) else NOT_SERVING
        for name in self._service_names:
            await self._servicer.set(name, overall)
        if states != self._last:
            log.info("health changed", dependencies=states, serving=overall == SERVING)
            self._last = states
        return states

    async def run(self) -> None:
        while True:
            await self.probe_once()
            await asyncio.sleep(self._interval)

    async def _probe(self, check: HealthCheck) -> bool:
        try:
            return bool(await asyncio.wait_for(check(), self._timeout))
        except Exception:  # a dependency that raises or hangs is simply not ready
            return False
