"""The datasets service in-process, and the dataset REST routes as a client calls them."""

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import httpx

from inferlane.common.grpc.server import GrpcProcess
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from tests.support.accounts import MovableClock
from tests.support.gateway_accounts import Session
from tests.support.in_process import Starter, fast
from tests.support.waiting import eventually

DATASETS = "/api/v1/datasets"
LIMIT = 1_000_000  # small limits in both gateway and service, so "too large" is cheap to send
DATASET_FIELDS = {
    "id",
    "name",
    "format",
    "size_bytes",
    "sha256",
    "rows",
    "columns",
    "text_column",
    "created_at",
    "source_encoding",
    "expires_at",
}
REVIEWS = (
    b"text,stars,verified,date\n"
    b'"Lovely fabric, runs small",4,true,2024-05-01\n'
    b'"Arrived torn.\nWould not buy again",1,false,2024-05-02\n'
    b"Fine,3,true,2024-05-03\n"
)
# Delimited files' cells come back as the strings they are (the columns carry the types).
REVIEW_ROWS = [
    {"text": "Lovely fabric, runs small", "stars": "4", "verified": "true", "date": "2024-05-01"},
    {
        "text": "Arrived torn.\nWould not buy again",
        "stars": "1",
        "verified": "false",
        "date": "2024-05-02",
    },
    {"text": "Fine", "stars": "3", "verified": "true", "date": "2024-05-03"},
]


def datasets_settings(
    db: str, nats: str, auth_address: str, storage_dir: Path, max_upload_bytes: int = LIMIT
) -> DatasetsSettings:
    settings: DatasetsSettings = fast(
        DatasetsSettings,
        database_url=db,
        nats_url=nats,
        auth_addr=auth_address,
        storage_dir=storage_dir,
        max_upload_bytes=max_upload_bytes,
    )
    return settings


async def start_datasets(
    start_process: Starter,
    settings: DatasetsSettings,
    clock: MovableClock | None = None,
) -> GrpcProcess:
    """A real datasets service in-process on port 0 (with a movable clock, if given)."""
    if clock is None:
        return await start_process(build_datasets, settings)
    return await start_process(lambda s: build_datasets(s, clock=clock), settings)


async def upload(
    api: httpx.AsyncClient,
    who: Session,
    filename: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    **fields: str,
) -> httpx.Response:
    return await api.post(
        DATASETS,
        files={"file": (filename, data, content_type)},
        data=fields or None,
        headers=who.headers,
    )


async def uploaded(api: httpx.AsyncClient, who: Session, filename: str, data: bytes) -> dict:
    response = await upload(api, who, filename, data)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def download(api: httpx.AsyncClient, who: Session, dataset_id: str) -> httpx.Response:
    return await api.get(f"{DATASETS}/{dataset_id}/download", headers=who.headers)


async def listed_ids(api: httpx.AsyncClient, who: Session) -> set[str]:
    response = await api.get(f"{DATASETS}?limit=100", headers=who.headers)
    assert response.status_code == 200, response.text
    return {d["id"] for d in response.json()["items"]}


async def warm_up(api: httpx.AsyncClient, who: Session) -> None:
    """One call so the datasets service has fetched auth's keys before an upload is cancelled:
    a cancel that lands during its first key fetch leaves it without keys for 10 s (a bug of
    `JwksClient._refresh`, reported), and the next call would be a 401."""
    assert await listed_ids(api, who) == set()


def stored_files(storage_dir: Path) -> list[Path]:
    """Every file of the blob store, committed blobs and temp files of uploads alike."""
    return [p for p in storage_dir.rglob("*") if p.is_file()]


async def nothing_stored(storage_dir: Path) -> None:
    """A cancelled upload's temp file is removed by the service once the cancel reaches it."""

    async def empty() -> bool:
        return stored_files(storage_dir) == []

    await eventually(empty, timeout=10, what=f"no files under {storage_dir}")


def form_parts(
    boundary: str, filename: str, chunks: Iterable[bytes], counter: list[int]
) -> AsyncIterator[bytes]:
    """A multipart body sent in pieces with no Content-Length; counts the file bytes the
    gateway actually pulled."""

    async def body() -> AsyncIterator[bytes]:
        yield (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        for chunk in chunks:
            counter[0] += len(chunk)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    return body()
