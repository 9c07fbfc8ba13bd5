"""Datasets of the signed-in user: streamed upload, list, metadata, rows, download, delete,
share links."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import StreamingResponse

from inferlane.datasets.v1 import datasets_service_pb2 as pb

from ..dataset_files import MEDIA_TYPES, PREVIEW_ROWS, attachment
from ..deps import CurrentUser, Cursor, DatasetsStub, JsonBody, Limit, SettingsDep
from ..openapi_docs import UPLOAD_BODY, documented
from ..schemas.common import DEFAULT_LIMIT, INT64_MAX, MAX_LIMIT, Page, utc
from ..schemas.datasets import (
    Dataset,
    DatasetDetail,
    Rows,
    Share,
    ShareCreate,
    ShareLink,
    ShareList,
    row,
)
from ..schemas.problems import problems
from ..security import RPC_TIMEOUT
from ..streaming import stream_file
from ..transfers import TRANSFER_TIMEOUT, stream_upload
from ..uploads import FILE_FIELD, StreamingForm, invalid

router = APIRouter(prefix="/datasets", tags=["datasets"])

DOWNLOAD_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file as uploaded (inflated if it was gzip-compressed).",
        "content": {
            media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for media in MEDIA_TYPES.values()
        },
    }
}
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="Index of the first row (0-based).")]


@router.post(
    "",
    status_code=201,
    responses=documented(401, 403, 413, 415, 422, upload=True),
    openapi_extra=UPLOAD_BODY,
)
async def upload_dataset(
    request: Request,
    response: Response,
    caller: CurrentUser,
    stub: DatasetsStub,
    settings: SettingsDep,
) -> Dataset:
    """Upload a dataset file as multipart/form-data; it is streamed to storage as it arrives."""
    form = StreamingForm.from_request(request, settings.max_upload_bytes)
    start = await form.file()
    if start is None:
        raise invalid(f"The form has no {FILE_FIELD!r} field.")
    reply = await stream_upload(stub, start, form)
    dataset = Dataset.from_pb(reply.dataset)
    response.headers["Location"] = str(request.url_for("get_dataset", dataset_id=dataset.id))
    return dataset


@router.get("", responses=problems(401, 422))
async def list_datasets(
    caller: CurrentUser, stub: DatasetsStub, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[Dataset]:
    """Your datasets, newest first."""
    reply = await stub.ListDatasets(
        pb.ListDatasetsRequest(page_size=min(limit, MAX_LIMIT), page_token=cursor or ""),
        timeout=RPC_TIMEOUT,
    )
    return Page[Dataset](
        items=[Dataset.from_pb(d) for d in reply.datasets],
        next_cursor=reply.next_page_token or None,
    )


# `:uuid`: a path that is no UUID names no dataset (404), like an unknown one.
@router.get("/{dataset_id:uuid}", responses=problems(401, 404, 422))
async def get_dataset(
    dataset_id: uuid.UUID, caller: CurrentUser, stub: DatasetsStub
) -> DatasetDetail:
    """One of your datasets: metadata, inferred columns and the first rows."""
    reply = await stub.GetDataset(
        pb.GetDatasetRequest(dataset_id=str(dataset_id)), timeout=RPC_TIMEOUT
    )
    rows = await stub.GetRows(
        pb.GetRowsRequest(dataset_id=str(dataset_id), offset=0, limit=PREVIEW_ROWS),
        timeout=RPC_TIMEOUT,
    )
    dataset = Dataset.from_pb(reply.dataset)
    preview = [row(r, dataset.columns) for r in rows.rows]
    return DatasetDetail(**dataset.model_dump(), preview=preview)


@router.get("/{dataset_id:uuid}/rows", responses=problems(401, 404, 422))
async def get_rows(
    dataset_id: uuid.UUID,
    caller: CurrentUser,
    stub: DatasetsStub,
    offset: Offset = 0,
    limit: Limit = DEFAULT_LIMIT,
) -> Rows:
    """A window of rows (at most 100), each as column → value, from row `offset` on."""
    found = await stub.GetDataset(
        pb.GetDatasetRequest(dataset_id=str(dataset_id)), timeout=RPC_TIMEOUT
    )
    reply = await stub.GetRows(
        pb.GetRowsRequest(dataset_id=str(dataset_id), offset=offset, limit=min(limit, MAX_LIMIT)),
        timeout=RPC_TIMEOUT,
    )
    columns = Dataset.from_pb(found.dataset).columns  # for the keys' order
    return Rows(items=[row(r, columns) for r in reply.rows], offset=offset)


@router.get(
    "/{dataset_id:uuid}/download",
    response_class=StreamingResponse,
    responses={**DOWNLOAD_OK, **problems(401, 404, 422)},
)
async def download_dataset(
    dataset_id: uuid.UUID, caller: CurrentUser, stub: DatasetsStub
) -> StreamingResponse:
    """Download the stored file, byte for byte, as an attachment."""
    found = await stub.GetDataset(
        pb.GetDatasetRequest(dataset_id=str(dataset_id)), timeout=RPC_TIMEOUT
    )
    dataset = Dataset.from_pb(found.dataset)
    call = stub.DownloadDataset(
        pb.DownloadDatasetRequest(dataset_id=str(dataset_id)), timeout=TRANSFER_TIMEOUT
    )
    return await stream_file(
        call,
        media_type=MEDIA_TYPES[dataset.format],
        headers={
            "Content-Disposition": attachment(dataset.name),
            "Content-Length": str(dataset.size_bytes),
        },
    )


@router.delete("/{dataset_id:uuid}", status_code=204, responses=problems(401, 403, 404, 409, 422))
async def delete_dataset(dataset_id: uuid.UUID, caller: CurrentUser, stub: DatasetsStub) -> None:
    """Delete one of your datasets, its file and its share links (409 while a task reads it)."""
    await stub.DeleteDataset(
        pb.DeleteDatasetRequest(dataset_id=str(dataset_id)), timeout=RPC_TIMEOUT
    )


@router.post(
    "/{dataset_id:uuid}/shares",
    status_code=201,
    dependencies=[JsonBody],
    responses=problems(401, 403, 404, 415, 422),
)
async def create_share(
    dataset_id: uuid.UUID,
    request: Request,
    response: Response,
    caller: CurrentUser,
    stub: DatasetsStub,
    body: Annotated[ShareCreate | None, Body()] = None,
) -> Share:
    """Create a read-only link to the dataset that works without sign-in (up to 7 days)."""
    expires_in = body.expires_in if body is not None and body.expires_in is not None else 0
    reply = await stub.CreateShare(
        pb.CreateShareRequest(dataset_id=str(dataset_id), expires_in=expires_in),
        timeout=RPC_TIMEOUT,
    )
    share = reply.share
    response.headers["Cache-Control"] = "no-store"  # the token is a credential
    return Share(
        id=uuid.UUID(share.id),
        token=share.token,
        url=str(request.url_for("get_shared_dataset", token=share.token)),
        expires_at=utc(share.expires_at),
    )


@router.get("/{dataset_id:uuid}/shares", responses=problems(401, 403, 404, 422))
async def list_shares(dataset_id: uuid.UUID, caller: CurrentUser, stub: DatasetsStub) -> ShareList:
    """The share links of your dataset that still work (not revoked, not expired), to revoke."""
    reply = await stub.ListShares(
        pb.ListSharesRequest(dataset_id=str(dataset_id)), timeout=RPC_TIMEOUT
    )
    return ShareList(
        items=[ShareLink(id=uuid.UUID(s.id), expires_at=utc(s.expires_at)) for s in reply.shares]
    )


@router.delete(
    "/{dataset_id:uuid}/shares/{share_id:uuid}",
    status_code=204,
    responses=problems(401, 403, 404, 422),
)
async def revoke_share(
    dataset_id: uuid.UUID, share_id: uuid.UUID, caller: CurrentUser, stub: DatasetsStub
) -> None:
    """Revoke a share link; it answers 410 from then on."""
    await stub.RevokeShare(
        pb.RevokeShareRequest(dataset_id=str(dataset_id), share_id=str(share_id)),
        timeout=RPC_TIMEOUT,
    )
