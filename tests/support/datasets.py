"""Helpers for the datasets gRPC API: uploads as client streams, rows as dicts."""

from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import grpc
from google.protobuf.json_format import MessageToDict
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import create_engine, text

from inferlane.common.db import psycopg_url
from inferlane.datasets.v1 import datasets_service_pb2 as pb
from inferlane.datasets.v1 import datasets_service_pb2_grpc
from tests.support.processes import service_process
from tests.support.servers import ServerProcess
from tests.support.waiting import eventually, free_port

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


def datasets_process(
    tmp_path: Path, port: int, migrated_db: str, nats_url: str, auth_address: str
) -> ServerProcess:
    """The datasets service as its own OS process (for kill -9 and per-process memory)."""
    return service_process(
        "services.datasets",
        tmp_path / "datasets.log",
        {
            "DATABASE_URL": migrated_db,
            "NATS_URL": nats_url,
            "AUTH_ADDR": auth_address,
            "DATASETS_GRPC_PORT": str(port),
            "DATASETS_METRICS_PORT": str(free_port()),
            "DATASETS_STORAGE_DIR": str(tmp_path / "store"),
        },
    )


async def wait_serving(address: str) -> None:
    async def serving() -> bool:
        try:
            async with grpc.aio.insecure_channel(address) as channel:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=5
                )
            return reply.status == health_pb2.HealthCheckResponse.SERVING
        except grpc.aio.AioRpcError:
            return False

    await eventually(serving, 30, "the datasets service to serve")


def dataset_rows(url: str, owner_id: str) -> int:
    engine = create_engine(psycopg_url(url))
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM datasets.datasets WHERE owner_id = :o"), {"o": owner_id}
            ).scalar_one()
    finally:
        engine.dispose()
