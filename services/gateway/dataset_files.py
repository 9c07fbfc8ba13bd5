"""How the datasets and share-link routes serve a dataset: each format's media type, and the
attachment header of a download (the preview's size is inferlane.common.dataset_preview's)."""

from typing import Any
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from .schemas.datasets import Dataset, Format
from .streaming import stream_file

MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/json",
    "jsonl": "application/x-ndjson",
}


def attachment(name: str) -> str:
    """RFC 6266: an ASCII fallback, and the exact name in RFC 5987 `filename*`."""
    if name.lower().endswith((".gz", ".gzip")):
        name = name.rsplit(".", 1)[0]  # the stored bytes are the inflated file
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(
    call: Any, dataset: Dataset, headers: dict[str, str] | None = None
) -> StreamingResponse:
    """The dataset's file from a download call, as an attachment of its own type and size."""
    return await stream_file(
        call,
        media_type=MEDIA_TYPES[dataset.format],
        headers={
            **(headers or {}),
            "Content-Disposition": attachment(dataset.name),
            "Content-Length": str(dataset.size_bytes),
        },
    )
