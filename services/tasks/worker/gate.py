"""Whether the worker may take work: open while the inference service says SERVING (it does so
only while Triton is ready). While it is closed the worker pulls nothing, so chunks wait in
the queue, not in retries; it opens again by itself when inference comes back."""

import asyncio

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc

log = structlog.get_logger(__name__)


class ReadyGate:
    def __init__(self, channel: grpc.aio.Channel, interval: float, timeout: float = 2.0) -> None:
        self._health = health_pb2_grpc.HealthStub(channel)
        self._interval = interval
        self._timeout = timeout
        self._open = asyncio.Event()

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def wait_open(self) -> None:
        await self._open.wait()

    async def run(self) -> None:
        while True:
            ready = await self._inference_ready()
            if ready and not self.is_open:
                log.info("inference is ready: taking work")
                self._open.set()
            elif not ready and self.is_open:
                log.warning("inference is not ready: taking no work until it is")
                self._open.clear()
            await asyncio.sleep(self._interval)

    async def _inference_ready(self) -> bool:
        try:
            reply = await self._health.Check(health_pb2.HealthCheckRequest(), timeout=self._timeout)
        except Exception:  # unreachable, refused, or the channel is closing: not ready
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
