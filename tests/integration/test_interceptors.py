"""The interceptor chain every service runs, on a real aio server with generic handlers."""

from collections.abc import AsyncIterator

import grpc
import pytest

from inferlane.common import errors, request_id
from inferlane.common.grpc.client import channel as peer_channel
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.common.settings import ServiceSettings


async def raise_not_found(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise errors.NotFound("dataset 42 not found")


async def raise_too_many(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise errors.TooMany("slow down", retry_after=7)


async def raise_invalid(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise errors.InvalidInput("text is longer than 512 characters", code="01")


async def crash(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    raise RuntimeError("secret connection string postgres://admin:hunter2@db")


async def whoami(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return (request_id.current() or "").encode()


async def count(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
    for i in range(int(request)):
        yield f"{i}:{request_id.current()}".encode()


def add_handlers(_servicer: object, server: grpc.aio.Server) -> None:
    unary = {
        name: grpc.unary_unary_rpc_method_handler(fn)
        for name, fn in [
            ("NotFound", raise_not_found),
            ("TooMany", raise_too_many),
            ("Invalid", raise_invalid),
            ("Crash", crash),
            ("WhoAmI", whoami),
        ]
    }
    handlers = {**unary, "Count": grpc.unary_stream_rpc_method_handler(count)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Probe", handlers),))


@pytest.fixture
async def address() -> AsyncIterator[str]:
    process = GrpcProcess(
        name="probe",
        settings=ServiceSettings(grpc_port=0),
        registrations=[Registration("test.Probe", add_handlers, None)],
    )
    await process.start()
    yield process.address
    await process.stop(grace=0)


async def unary(address: str, method: str, metadata=()) -> bytes:
    async with grpc.aio.insecure_channel(address) as ch:
        return await ch.unary_unary(f"/test.Probe/{method}")(b"", timeout=5, metadata=metadata)


async def failure(address: str, method: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await unary(address, method)
    return info.value


async def test_not_found_maps_to_not_found(address):
    error = await failure(address, "NotFound")
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "dataset 42 not found")


async def test_back_pressure_carries_retry_after(address):
    error = await failure(address, "TooMany")
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert dict(error.trailing_metadata())[errors.RETRY_AFTER_KEY] == "7"


async def test_invalid_input_carries_the_domain_code(address):
    error = await failure(address, "Invalid")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(error.trailing_metadata())[errors.DOMAIN_CODE_KEY] == "01"


async def test_unexpected_error_is_internal_and_leaks_nothing(address):
    error = await failure(address, "Crash")
    assert error.code() == grpc.StatusCode.INTERNAL
    assert "hunter2" not in (error.details() or "")


async def test_callers_request_id_reaches_the_handler(address):
    assert await unary(address, "WhoAmI", metadata=[("x-request-id", "req-77")]) == b"req-77"


async def test_missing_request_id_is_generated(address):
    assert len(await unary(address, "WhoAmI")) == 32


async def test_streaming_handlers_are_wrapped_too(address):
    async with grpc.aio.insecure_channel(address) as ch:
        call = ch.unary_stream("/test.Probe/Count")(b"3", metadata=[("x-request-id", "s-1")])
        assert [m async for m in call] == [b"0:s-1", b"1:s-1", b"2:s-1"]


async def test_peer_channel_forwards_the_current_request_id(address):
    request_id.bind("hop-9")
    try:
        async with peer_channel(address) as ch:
            assert await ch.unary_unary("/test.Probe/WhoAmI")(b"", timeout=5) == b"hop-9"
    finally:
        request_id._current.set(None)
