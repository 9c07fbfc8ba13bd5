"""Share links, opened without sign-in: the token in the path is the credential.

A person who opens a link in a browser (it asks for HTML first) is sent to the console's page
for it, `/shared/<token>`, which shows the preview, columns, expiry and a download button
under the console's CSP; scripts keep getting JSON from the same URL."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse

from inferlane.datasets.v1 import datasets_service_pb2 as pb

from ..dataset_files import MEDIA_TYPES, PREVIEW_ROWS, attachment
from ..deps import DatasetsStub
from ..openapi_docs import documented
from ..schemas.datasets import SharedDataset
from ..security import RPC_TIMEOUT
from ..streaming import stream_file
from ..transfers import TRANSFER_TIMEOUT

router = APIRouter(prefix="/shared", tags=["datasets"])
NO_STORE = {"Cache-Control": "no-store"}  # a revoked link must stop working at once


def wants_html(request: Request) -> bool:
    """Browsers navigating to a page list text/html before JSON; curl and SDKs do not."""
    accept = request.headers.get("accept", "")
    html, json = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (json < 0 or html < json)


@router.get(
    "/{token}",
    responses={
        **documented(404, 410, 422),
        303: {"description": "Asked for HTML (a browser): the console's page for the link."},
    },
)
async def get_shared_dataset(
    token: str, request: Request, response: Response, stub: DatasetsStub
) -> SharedDataset:
    """A shared dataset's metadata and first rows; no sign-in needed. A browser (Accept
    text/html first) is redirected to the human page `/shared/{token}`."""
    if wants_html(request):
        return RedirectResponse(f"/shared/{token}", status_code=303, headers=NO_STORE)  # type: ignore[return-value]
    reply = await stub.GetSharedDataset(
        pb.GetSharedDatasetRequest(token=token, preview_limit=PREVIEW_ROWS), timeout=RPC_TIMEOUT
    )
    response.headers.update(NO_STORE)
    return SharedDataset.from_pb(reply)


@router.get(
    "/{token}/download",
    response_class=StreamingResponse,
    responses={**documented(404, 410, 422), 200: {"description": "The file, as stored (UTF-8)."}},
)
async def download_shared_dataset(token: str, stub: DatasetsStub) -> StreamingResponse:
    """The shared file as an attachment; no sign-in needed."""
    reply = await stub.GetSharedDataset(
        pb.GetSharedDatasetRequest(token=token, preview_limit=1), timeout=RPC_TIMEOUT
    )
    dataset = SharedDataset.from_pb(reply).dataset
    call = stub.DownloadSharedDataset(
        pb.DownloadSharedDatasetRequest(token=token), timeout=TRANSFER_TIMEOUT
    )
    return await stream_file(
        call,
        media_type=MEDIA_TYPES[dataset.format],
        headers={
            **NO_STORE,
            "Content-Disposition": attachment(dataset.name),
            "Content-Length": str(dataset.size_bytes),
        },
    )
