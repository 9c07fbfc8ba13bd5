"""A process built with the real bootstrap whose one RPC sleeps: the graceful-stop subject.

`python -m tests.support.slow_service PORT` serves `test.Slow/Sleep` (request: seconds as
ASCII bytes) plus the standard health service; SIGTERM goes through the same `run()` as
every service.
"""

import asyncio
import sys

import grpc

from inferlane.common.grpc.server import GrpcProcess, Registration, run
from inferlane.common.logging import configure_logging
from inferlane.common.settings import ServiceSettings


async def sleep(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    await asyncio.sleep(float(request.decode()))
    return b"slept"


def add_slow(_servicer: object, server: grpc.aio.Server) -> None:
    handler = grpc.unary_unary_rpc_method_handler(sleep)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("test.Slow", {"Sleep": handler}),)
    )


async def build(port: int) -> GrpcProcess:
    settings = ServiceSettings(
        grpc_port=port, shutdown_grace_seconds=4, health_interval_seconds=0.1
    )

    async def always() -> bool:
        return True

    return GrpcProcess(
        name="slow",
        settings=settings,
        registrations=[Registration("test.Slow", add_slow, None)],
        checks={"self": always},
    )


if __name__ == "__main__":
    configure_logging("slow")
    run(lambda: build(int(sys.argv[1])))
