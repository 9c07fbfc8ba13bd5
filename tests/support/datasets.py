"""Helpers for the datasets gRPC API: uploads as client streams, rows as dicts."""

from collections.abc import AsyncIterator, Iterable

import grpc
from google.protobuf.json_format import MessageToDict

from inferlane.datasets.v1 import datasets_service_pb2 as pb
from inferlane.datasets.v1 import datasets_service_pb2_grpc

CHUNK = 64 * 1024


def stub(channel: grpc.aio.Channel) -> datasets_service_pb2_grpc.DatasetsServiceStub:
    return datasets_service_pb2_grpc.DatasetsServiceStub(channel)


async def upload_messages(
    filename: str, chunks: Iterable[bytes]
) -> AsyncIterator[pb.UploadDatasetRequest]:
    yield pb.UploadDatasetRequest(metadata=pb.UploadMetadata(filename=filename))
    for chunk in chunks:
        yield pb.UploadDatasetRequest(chunk=chunk)


def split(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


async def upload(channel, metadata, filename: str, data: bytes):
    reply = await stub(channel).UploadDataset(
        upload_messages(filename, split(data)), metadata=metadata
    )
    return reply.dataset


async def read_all(channel, metadata, dataset_id: str, column: str | None = None, start: int = 0):
    request = pb.ReadRowsRequest(dataset_id=dataset_id, start_row_index=start)
    if column is not None:
        request.column = column
    rows = []
    async for reply in stub(channel).ReadRows(request, metadata=metadata):
        for row in reply.rows:
            content = (
                MessageToDict(row.record) if row.HasField("record") else MessageToDict(row)["value"]
            )
            rows.append((row.row_index, content))
    return rows
