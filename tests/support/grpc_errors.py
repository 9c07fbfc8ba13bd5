"""A gRPC call's failure as a test inspects it: the error, and its trailing metadata."""

import grpc
import pytest


async def failure(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value


def trailer(exc: grpc.aio.AioRpcError, key: str) -> str | None:
    return dict(exc.trailing_metadata() or ()).get(key)
