"""SIGTERM: health turns NOT_SERVING first, the in-flight RPC still finishes, the process exits."""

import asyncio
import signal

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.in_process import health_status
from tests.support.processes import service_process
from tests.support.waiting import eventually, free_port

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def test_sigterm_lets_in_flight_rpc_finish_after_health_turns_not_serving(tmp_path):
    port = free_port()
    address = f"127.0.0.1:{port}"
    server = service_process("tests.support.slow_service", tmp_path / "slow.log", {})
    server.command.append(str(port))
    server.start()
    try:

        async def serving() -> bool:
            try:
                return await health_status(address) == SERVING
            except grpc.aio.AioRpcError:
                return False

        await eventually(serving, 20, "the slow service to serve")
        events: list[str] = []
        async with grpc.aio.insecure_channel(address) as channel:
            watch = health_pb2_grpc.HealthStub(channel).Watch(
                health_pb2.HealthCheckRequest(service="")
            )

            async def watch_health() -> None:
                async for reply in watch:
                    events.append(
                        f"health:{health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)}"
                    )

            watcher = asyncio.create_task(watch_health())
            sleep = channel.unary_unary("/test.Slow/Sleep")
            call = asyncio.ensure_future(sleep(b"2", timeout=15))
            await asyncio.sleep(0.5)  # the RPC is in flight
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)
            assert await call == b"slept"
            events.append("rpc:finished")
            watcher.cancel()
        assert server.process.wait(15) == 0
        assert events.index("health:NOT_SERVING") < events.index("rpc:finished")
        assert events[0] == "health:SERVING"
        # New calls are refused once the server is gone.
        async with grpc.aio.insecure_channel(address) as channel:
            try:
                await channel.unary_unary("/test.Slow/Sleep")(b"0", timeout=1)
                raise AssertionError("the stopped server answered")
            except grpc.aio.AioRpcError as error:
                assert error.code() in (
                    grpc.StatusCode.UNAVAILABLE,
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                )
    finally:
        server.stop()
