"""Calls to the datasets and inference services, in the tasks service's own terms.

In the tasks service the caller's token travels by itself (the channel forwards it); a worker
passes `metadata` with its service token acting for the task's owner.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from inferlane.common import structs
from inferlane.common.aimd import AdaptiveLimit
from inferlane.common.errors import INVALID_INPUT, InvalidInput, NotFound
from inferlane.common.grpc.peer_errors import domain_error
from inferlane.datasets.v1 import datasets_service_pb2 as datasets_pb
from inferlane.datasets.v1 import datasets_service_pb2_grpc, datasets_types_pb2
from inferlane.inference.v1 import inference_service_pb2 as inference_pb
from inferlane.inference.v1 import inference_service_pb2_grpc, inference_types_pb2
from services.tasks.models import ModelInfo

Metadata = tuple[tuple[str, str], ...] | None
MODEL_TTL = 30.0
# An upload lasts as long as its transfer; the caller's own deadline bounds it too.
TRANSFER_TIMEOUT = 3600.0
# Rows one process has in Predict calls to a model at once, unless told otherwise (the worker
# adapts it).
ROWS_IN_FLIGHT = 256


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    rows: int
    columns: list[str]
    text_column: str | None
    sha256: str
    name: str = ""


class Peers:
    def __init__(
        self,
        datasets: grpc.aio.Channel,
        inference: grpc.aio.Channel,
        timeout: float = 10.0,
        rows: Callable[[], AdaptiveLimit] | None = None,
    ) -> None:
        """`rows` makes the window of rows in flight of each model (one per model: a model a
        thousand times faster than another needs a window to match, and its own queue)."""
        self._datasets = datasets_service_pb2_grpc.DatasetsServiceStub(datasets)
        self._inference = inference_service_pb2_grpc.InferenceServiceStub(inference)
        self._timeout = timeout
        self._new_window = rows or (
            lambda: AdaptiveLimit(
                floor=ROWS_IN_FLIGHT, ceiling=ROWS_IN_FLIGHT, target_seconds=float("inf")
            )
        )
        self._windows: dict[str, AdaptiveLimit] = {}
        self._models: dict[str, tuple[float, ModelInfo]] = {}

    async def model(self, name: str, metadata: Metadata = None) -> ModelInfo:
        """Cached for MODEL_TTL seconds: a model's shape changes only with a redeploy."""
        cached = self._models.get(name)
        if cached is not None and time.monotonic() - cached[0] < MODEL_TTL:
            return cached[1]
        info = await self._fetch_model(name, metadata)
        self._models[name] = (time.monotonic(), info)
        return info

    async def _fetch_model(self, name: str, metadata: Metadata) -> ModelInfo:
        try:
            reply = await self._inference.GetModel(
                inference_pb.GetModelRequest(name=name), timeout=self._timeout, metadata=metadata
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise InvalidInput(f"unknown model {name!r}", code=INVALID_INPUT) from None
            raise domain_error(exc, "GetModel") from exc
        return ModelInfo.from_pb(reply.model)

    async def dataset(self, dataset_id: str, metadata: Metadata = None) -> DatasetInfo:
        try:
            reply = await self._datasets.GetDataset(
                datasets_pb.GetDatasetRequest(dataset_id=dataset_id),
                timeout=self._timeout,
                metadata=metadata,
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound("no such dataset") from None
            raise domain_error(exc, "GetDataset") from exc
        return _info(reply.dataset)

    async def upload(
        self, filename: str, content_type: str | None, chunks: AsyncIterator[bytes]
    ) -> DatasetInfo:
        """Stores a file as the caller's dataset, forwarding each chunk as it comes: `write`
        waits for flow control, so a slow datasets service slows the reading of `chunks`."""
        metadata = datasets_pb.UploadMetadata(filename=filename)
        if content_type is not None:
            metadata.content_type = content_type
        call = self._datasets.UploadDataset(None, timeout=TRANSFER_TIMEOUT)  # None: we write()
        try:
            await call.write(datasets_pb.UploadDatasetRequest(metadata=metadata))
            async for chunk in chunks:
                await call.write(datasets_pb.UploadDatasetRequest(chunk=chunk))
            await call.done_writing()
        except asyncio.InvalidStateError:
            pass  # the datasets service already answered (a refusal): awaiting the call says it
        except BaseException:
            call.cancel()  # a bad stream or a caller gone: the datasets service keeps nothing
            raise
        try:
            reply = await call
        except grpc.aio.AioRpcError as exc:
            raise domain_error(exc, "UploadDataset") from exc
        return _info(reply.dataset)

    async def delete_dataset(self, dataset_id: str) -> None:
        try:
            await self._datasets.DeleteDataset(
                datasets_pb.DeleteDatasetRequest(dataset_id=dataset_id), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise domain_error(exc, "DeleteDataset") from exc

    async def read_rows(
        self, dataset_id: str, column: str | None, start: int, end: int, metadata: Metadata
    ) -> list[tuple[int, Any]]:
        """Rows [start, end) as (row_index, value) with a column, (row_index, record) without."""
        request = datasets_pb.ReadRowsRequest(
            dataset_id=dataset_id, start_row_index=start, limit=end - start, json_records=True
        )
        if column is not None:
            request.column = column
        rows: list[tuple[int, Any]] = []
        async for batch in self._datasets.ReadRows(
            request, timeout=self._timeout * 3, metadata=metadata
        ):
            for row in batch.rows:
                rows.append((row.row_index, row_content(row)))
        return rows

    def rows_per_call(self, model: str, preferred: int, most: int, calls: int) -> int:
        """`preferred`, or fewer while the model answers too slowly for that many in flight,
        or more (up to `most`) while `calls` calls of `preferred` rows leave its window unfilled."""
        return self._window(model).call_rows(preferred, most, calls)

    def _window(self, model: str) -> AdaptiveLimit:
        if (window := self._windows.get(model)) is None:
            window = self._windows[model] = self._new_window()
        return window

    async def predict(
        self,
        model: str,
        inputs: Sequence[dict[str, Any]],
        metadata: Metadata,
        version: str | None = None,
        *,
        as_json: bool = True,
    ) -> list[inference_types_pb2.Prediction]:
        """`as_json`: the rows as `inputs_json` where JSON carries them (a sixth of the
        Structs' CPU on both sides); `Struct`s otherwise, and when the caller asks."""
        request = inference_pb.PredictRequest(model=model)
        if version:
            request.version = version
        if as_json and (encoded := structs.rows_json(inputs)) is not None:
            request.inputs_json = encoded
        else:
            request.inputs.extend(structs.to_struct(values) for values in inputs)
        async with self._window(model).hold(len(inputs)):
            reply = await self._inference.Predict(
                request, timeout=self._timeout * 3, metadata=metadata
            )
        return list(reply.outputs)


def row_content(row: datasets_types_pb2.IndexedRow) -> Any:
    """A read row's value or record, in whichever form the datasets service sent it (one
    that predates `record_json` sends `record`)."""
    which = row.WhichOneof("content")
    if which == "record_json":
        return structs.from_record_json(row.record_json)
    if which == "value":
        return structs.to_python(row.value)
    return structs.to_dict(row.record)


def _info(d: datasets_types_pb2.Dataset) -> DatasetInfo:
    return DatasetInfo(
        d.id, d.rows, [c.name for c in d.columns], d.text_column or None, d.sha256, d.name
    )
