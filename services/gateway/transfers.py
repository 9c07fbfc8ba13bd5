"""A multipart upload forwarded as a gRPC client stream, chunk by chunk as it is parsed."""

import asyncio
from collections.abc import Callable
from contextlib import aclosing
from typing import Any, TypeVar

import grpc

from inferlane.datasets.v1 import datasets_service_pb2 as datasets_pb

from .deps import DatasetsStub
from .uploads import FileStart, StreamingForm

# Uploads and downloads last as long as the transfer; the HTTP server's timeouts bound them too.
TRANSFER_TIMEOUT = 3600.0

Reply = TypeVar("Reply")


async def forward(
    call: "grpc.aio.StreamUnaryCall[Any, Reply]",
    first: Any,
    form: StreamingForm,
    chunk: Callable[[bytes], Any],
    last: Callable[[], Any] = lambda: None,
) -> Reply:
    """Writes `first`, a `chunk(bytes)` message per chunk of the form's file, then `last()`
    (None: nothing), which may use the fields that followed the file. `write` waits for gRPC
    flow control, so a slow service slows the reading of the body instead of filling the
    gateway's memory."""
    try:
        await call.write(first)
        async with aclosing(form.chunks()) as chunks:
            async for data in chunks:
                await call.write(chunk(data))
        closing = last()
        if closing is not None:
            await call.write(closing)
        await call.done_writing()
    except asyncio.InvalidStateError:
        pass  # the service already answered (a refusal): awaiting the call raises it
    except BaseException:
        call.cancel()  # too large, malformed, client gone: the service keeps nothing
        raise
    return await call


async def stream_upload(
    stub: DatasetsStub, start: FileStart, form: StreamingForm
) -> datasets_pb.UploadDatasetResponse:
    """The form's file, stored as a dataset of the caller."""
    metadata = datasets_pb.UploadMetadata(filename=start.filename)
    if start.content_type is not None:
        metadata.content_type = start.content_type
    return await forward(
        stub.UploadDataset(None, timeout=TRANSFER_TIMEOUT),  # None: we call write()
        datasets_pb.UploadDatasetRequest(metadata=metadata),
        form,
        lambda data: datasets_pb.UploadDatasetRequest(chunk=data),
    )
