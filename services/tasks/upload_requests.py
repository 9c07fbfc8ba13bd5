"""The CreateBatchFromUpload request stream, read as an `Upload`: `start` first, then the
file's chunks, then the spec unless `start` carried it (a form may send its fields either
side of the file)."""

from collections.abc import AsyncIterator

from inferlane.common.errors import InvalidInput
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from services.tasks.batch_from_upload import Upload
from services.tasks.spec_messages import batch_spec_of
from services.tasks.specs import BatchSpec


async def upload_of(requests: AsyncIterator[pb.CreateBatchFromUploadRequest]) -> Upload:
    first = await anext(aiter(requests), None)
    if first is None or first.WhichOneof("payload") != "start":
        raise InvalidInput("the first message of an upload must carry its start", code="01")
    start = first.start
    specs = [batch_spec_of(start.spec)] if start.HasField("spec") else []

    async def chunks() -> AsyncIterator[bytes]:
        ended = False  # a spec after the bytes ends them
        async for message in requests:
            which = message.WhichOneof("payload")
            if which == "chunk" and not ended:
                yield message.chunk
            elif which == "spec" and not specs:
                specs.append(batch_spec_of(message.spec))
                ended = True
            else:
                raise InvalidInput(
                    "send start, then the file's chunks, then the spec unless start had it",
                    code="01",
                )

    def spec() -> BatchSpec:
        if not specs:
            raise InvalidInput("say what to run: the upload came without a task spec", code="01")
        return specs[0]

    return Upload(
        filename=start.filename,
        content_type=start.content_type if start.HasField("content_type") else None,
        chunks=chunks(),
        spec=spec,
        idempotency_key=start.idempotency_key or None,
    )
