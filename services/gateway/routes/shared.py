"""Share links, opened without sign-in: the token in the path is the credential."""

from fastapi import APIRouter, Response

from inferlane.datasets.v1 import datasets_service_pb2 as pb

from ..deps import DatasetsStub
from ..schemas.datasets import SharedDataset
from ..security import RPC_TIMEOUT
from .datasets import PREVIEW_ROWS, documented

router = APIRouter(prefix="/shared", tags=["datasets"])


@router.get("/{token}", responses=documented(404, 410, 422))
async def get_shared_dataset(token: str, response: Response, stub: DatasetsStub) -> SharedDataset:
    """A shared dataset's metadata and first rows; no sign-in needed."""
    reply = await stub.GetSharedDataset(
        pb.GetSharedDatasetRequest(token=token, preview_limit=PREVIEW_ROWS), timeout=RPC_TIMEOUT
    )
    response.headers["Cache-Control"] = "no-store"  # a revoked link must stop working at once
    return SharedDataset.from_pb(reply)
