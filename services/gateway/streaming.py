"""Files relayed from a server-streaming RPC of `chunk` messages, one chunk at a time."""

from collections.abc import AsyncIterator
from typing import Any

import grpc
from fastapi.responses import StreamingResponse


async def stream_file(call: Any, media_type: str, headers: dict[str, str]) -> StreamingResponse:
    """A refusal (unknown or foreign id) must become a problem document, not a 200 that
    breaks off: the first chunk is awaited before the status line goes out."""
    messages = aiter(call)
    try:
        first = await anext(messages, None)
    except BaseException:
        call.cancel()
        raise
    return StreamingResponse(_chunks(call, first, messages), media_type=media_type, headers=headers)


async def _chunks(
    call: grpc.aio.Call, first: Any, rest: AsyncIterator[Any]
) -> AsyncIterator[bytes]:
    try:
        if first is None:
            return
        yield first.chunk
        async for message in rest:  # never the whole file in memory
            yield message.chunk
    finally:
        call.cancel()  # the client went away: stop the service's read too (no-op when done)
