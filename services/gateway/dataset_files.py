"""How the datasets and share-link routes serve a dataset: the preview's size, each format's
media type, and the attachment header of a download."""

from urllib.parse import quote

from .schemas.datasets import Format

PREVIEW_ROWS = 20
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
