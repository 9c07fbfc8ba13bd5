"""What the datasets service hands out, apart from storage and gRPC."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Dataset:
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    format: str
    size_bytes: int
    sha256: str
    rows: int
    columns: list[dict[str, str]]  # [{"name": ..., "type": ...}] in file order
    text_column: str | None
    preview: list[dict[str, Any]]
    blob_key: str
    created_at: datetime
    expires_at: datetime | None = None  # then the janitor deletes it; None: kept
    source_encoding: str | None = None  # set when the upload was converted to UTF-8

    @property
    def column_names(self) -> list[str]:
        return [c["name"] for c in self.columns]


@dataclass(frozen=True)
class Share:
    id: uuid.UUID
    dataset_id: uuid.UUID
    token: str  # only known when the share is created: the database keeps its sha256
    expires_at: datetime
