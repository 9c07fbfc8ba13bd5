"""gRPC front of the datasets service: proto <-> domain, nothing else."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import struct_pb2
from google.protobuf.json_format import ParseDict

from inferlane.common import principal, structs
from inferlane.common.dataset_preview import PREVIEW_ROWS
from inferlane.common.errors import INVALID_INPUT, InvalidInput
from inferlane.datasets.v1 import datasets_service_pb2 as pb
from inferlane.datasets.v1 import datasets_service_pb2_grpc, datasets_types_pb2
from services.datasets.domain import Dataset, Share
from services.datasets.service import DatasetsService

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DatasetsService"].full_name
# Share links need no sign-in: the token is the credential.
PUBLIC_METHODS = frozenset(
    {f"/{SERVICE_NAME}/GetSharedDataset", f"/{SERVICE_NAME}/DownloadSharedDataset"}
)
STREAM_BATCH = 256

_FORMATS = {
    "csv": datasets_types_pb2.DATASET_FORMAT_CSV,
    "tsv": datasets_types_pb2.DATASET_FORMAT_TSV,
    "json": datasets_types_pb2.DATASET_FORMAT_JSON,
    "jsonl": datasets_types_pb2.DATASET_FORMAT_JSONL,
}
_TYPES = {
    "string": datasets_types_pb2.COLUMN_TYPE_STRING,
    "integer": datasets_types_pb2.COLUMN_TYPE_INTEGER,
    "float": datasets_types_pb2.COLUMN_TYPE_FLOAT,
    "boolean": datasets_types_pb2.COLUMN_TYPE_BOOLEAN,
    "datetime": datasets_types_pb2.COLUMN_TYPE_DATETIME,
}


def dataset_pb(dataset: Dataset) -> datasets_types_pb2.Dataset:
    message = datasets_types_pb2.Dataset(
        id=str(dataset.id),
        name=dataset.name,
        format=_FORMATS[dataset.format],
        size_bytes=dataset.size_bytes,
        sha256=dataset.sha256,
        rows=dataset.rows,
        columns=[
            datasets_types_pb2.Column(name=c["name"], type=_TYPES[c["type"]])
            for c in dataset.columns
        ],
        text_column=dataset.text_column or "",
        source_encoding=dataset.source_encoding or "",
    )
    message.created_at.FromDatetime(dataset.created_at)
    if dataset.expires_at is not None:
        message.expires_at.FromDatetime(dataset.expires_at)
    return message


def share_pb(share: Share) -> datasets_types_pb2.Share:
    message = datasets_types_pb2.Share(id=str(share.id), token=share.token)
    message.expires_at.FromDatetime(share.expires_at)
    return message


def indexed_row(index: int, content: Any, json: bool = False) -> datasets_types_pb2.IndexedRow:
    """`json`: a whole row as `record_json` where JSON carries it as a `Struct` would."""
    if isinstance(content, dict):
        if json and (encoded := structs.record_json(content)) is not None:
            return datasets_types_pb2.IndexedRow(row_index=index, record_json=encoded)
        return datasets_types_pb2.IndexedRow(row_index=index, record=structs.to_struct(content))
    value = ParseDict(content, struct_pb2.Value())
    return datasets_types_pb2.IndexedRow(row_index=index, value=value)


def caller_id() -> uuid.UUID:
    return uuid.UUID(principal.current().user_id)


class DatasetsServicer(datasets_service_pb2_grpc.DatasetsServiceServicer):
    def __init__(self, service: DatasetsService) -> None:
        self._service = service

    async def UploadDataset(
        self,
        request_iterator: AsyncIterator[pb.UploadDatasetRequest],
        context: grpc.aio.ServicerContext[pb.UploadDatasetRequest, pb.UploadDatasetResponse],
    ) -> pb.UploadDatasetResponse:
        owner = caller_id()
        first = await anext(aiter(request_iterator), None)
        if first is None or not first.HasField("metadata"):
            raise InvalidInput(
                "the first message of an upload must carry its metadata", code=INVALID_INPUT
            )

        async def chunks() -> AsyncIterator[bytes]:
            async for message in request_iterator:
                if message.HasField("metadata"):
                    raise InvalidInput("metadata may only come first", code=INVALID_INPUT)
                yield message.chunk

        dataset = await self._service.upload(owner, first.metadata.filename, chunks())
        return pb.UploadDatasetResponse(dataset=dataset_pb(dataset))

    async def GetDataset(
        self,
        request: pb.GetDatasetRequest,
        context: grpc.aio.ServicerContext[pb.GetDatasetRequest, pb.GetDatasetResponse],
    ) -> pb.GetDatasetResponse:
        return pb.GetDatasetResponse(
            dataset=dataset_pb(await self._service.get(caller_id(), request.dataset_id))
        )

    async def ListDatasets(
        self,
        request: pb.ListDatasetsRequest,
        context: grpc.aio.ServicerContext[pb.ListDatasetsRequest, pb.ListDatasetsResponse],
    ) -> pb.ListDatasetsResponse:
        found = await self._service.list_owned(caller_id(), request.page_size, request.page_token)
        return pb.ListDatasetsResponse(
            datasets=[dataset_pb(d) for d in found.items], next_page_token=found.next_token or ""
        )

    async def GetRows(
        self,
        request: pb.GetRowsRequest,
        context: grpc.aio.ServicerContext[pb.GetRowsRequest, pb.GetRowsResponse],
    ) -> pb.GetRowsResponse:
        rows = await self._service.rows(
            caller_id(), request.dataset_id, request.offset, request.limit
        )
        return pb.GetRowsResponse(rows=[structs.to_struct(r) for r in rows])

    async def ReadRows(
        self,
        request: pb.ReadRowsRequest,
        context: grpc.aio.ServicerContext[pb.ReadRowsRequest, pb.ReadRowsResponse],
    ) -> AsyncIterator[pb.ReadRowsResponse]:
        column = request.column if request.HasField("column") else None
        limit = request.limit if request.HasField("limit") else None
        batch: list[datasets_types_pb2.IndexedRow] = []
        async for index, content in self._service.read_rows(
            caller_id(), request.dataset_id, column, request.start_row_index, limit
        ):
            batch.append(indexed_row(index, content, request.json_records))
            if len(batch) == STREAM_BATCH:
                yield pb.ReadRowsResponse(rows=batch)
                batch = []
        if batch:
            yield pb.ReadRowsResponse(rows=batch)

    async def DownloadDataset(
        self,
        request: pb.DownloadDatasetRequest,
        context: grpc.aio.ServicerContext[pb.DownloadDatasetRequest, pb.DownloadDatasetResponse],
    ) -> AsyncIterator[pb.DownloadDatasetResponse]:
        async for chunk in self._service.download(caller_id(), request.dataset_id):
            yield pb.DownloadDatasetResponse(chunk=chunk)

    async def DeleteDataset(
        self,
        request: pb.DeleteDatasetRequest,
        context: grpc.aio.ServicerContext[pb.DeleteDatasetRequest, pb.DeleteDatasetResponse],
    ) -> pb.DeleteDatasetResponse:
        await self._service.delete(caller_id(), request.dataset_id)
        return pb.DeleteDatasetResponse()

    async def CreateShare(
        self,
        request: pb.CreateShareRequest,
        context: grpc.aio.ServicerContext[pb.CreateShareRequest, pb.CreateShareResponse],
    ) -> pb.CreateShareResponse:
        share = await self._service.create_share(
            caller_id(), request.dataset_id, request.expires_in
        )
        return pb.CreateShareResponse(share=share_pb(share))

    async def RevokeShare(
        self,
        request: pb.RevokeShareRequest,
        context: grpc.aio.ServicerContext[pb.RevokeShareRequest, pb.RevokeShareResponse],
    ) -> pb.RevokeShareResponse:
        await self._service.revoke_share(caller_id(), request.dataset_id, request.share_id)
        return pb.RevokeShareResponse()

    async def ListShares(
        self,
        request: pb.ListSharesRequest,
        context: grpc.aio.ServicerContext[pb.ListSharesRequest, pb.ListSharesResponse],
    ) -> pb.ListSharesResponse:
        shares = await self._service.list_shares(caller_id(), request.dataset_id)
        return pb.ListSharesResponse(shares=[share_pb(s) for s in shares])

    async def DownloadSharedDataset(
        self,
        request: pb.DownloadSharedDatasetRequest,
        context: grpc.aio.ServicerContext[
            pb.DownloadSharedDatasetRequest, pb.DownloadSharedDatasetResponse
        ],
    ) -> AsyncIterator[pb.DownloadSharedDatasetResponse]:
        async for chunk in self._service.download_shared(request.token):
            yield pb.DownloadSharedDatasetResponse(chunk=chunk)

    async def GetSharedDataset(
        self,
        request: pb.GetSharedDatasetRequest,
        context: grpc.aio.ServicerContext[pb.GetSharedDatasetRequest, pb.GetSharedDatasetResponse],
    ) -> pb.GetSharedDatasetResponse:
        dataset, expires_at = await self._service.shared(request.token)
        limit = min(request.preview_limit or PREVIEW_ROWS, len(dataset.preview))
        response = pb.GetSharedDatasetResponse(
            dataset=dataset_pb(dataset),
            preview_rows=[structs.to_struct(r) for r in dataset.preview[:limit]],
        )
        response.expires_at.FromDatetime(expires_at)
        return response
