"""Datasets, their rows and share links, as the wire conventions spell them."""

import uuid
from datetime import datetime
from typing import Any, Literal

from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel, ConfigDict, Field

from inferlane.datasets.v1 import datasets_service_pb2, datasets_types_pb2

from .common import optional_utc, utc

Format = Literal["csv", "tsv", "json", "jsonl"]
ColumnType = Literal["string", "integer", "float", "boolean", "datetime"]
Row = dict[str, Any]

FORMAT_FROM_PB: dict[int, Format] = {
    datasets_types_pb2.DATASET_FORMAT_CSV: "csv",
    datasets_types_pb2.DATASET_FORMAT_TSV: "tsv",
    datasets_types_pb2.DATASET_FORMAT_JSON: "json",
    datasets_types_pb2.DATASET_FORMAT_JSONL: "jsonl",
}
TYPE_FROM_PB: dict[int, ColumnType] = {
    datasets_types_pb2.COLUMN_TYPE_STRING: "string",
    datasets_types_pb2.COLUMN_TYPE_INTEGER: "integer",
    datasets_types_pb2.COLUMN_TYPE_FLOAT: "float",
    datasets_types_pb2.COLUMN_TYPE_BOOLEAN: "boolean",
    datasets_types_pb2.COLUMN_TYPE_DATETIME: "datetime",
}
MAX_SHARE_SECONDS = 7 * 24 * 3600
EXACT_INTEGERS = 2**53  # a JSON number (a double in protobuf's Struct) is exact up to here


class Column(BaseModel):
    name: str
    type: ColumnType


class Dataset(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1f5b0e-3c1a-4e0b-9a55-2f0d7c3e9b11",
                    "name": "reviews.csv",
                    "format": "csv",
                    "size_bytes": 48213,
                    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    "rows": 500,
                    "columns": [
                        {"name": "text", "type": "string"},
                        {"name": "stars", "type": "integer"},
                    ],
                    "text_column": "text",
                    "created_at": "2025-01-31T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    name: str = Field(description="The uploaded file's name, for display.")
    format: Format = Field(description="Detected from the content, not the file name.")
    size_bytes: int = Field(description="Size of the stored file (after gzip inflation).")
    sha256: str = Field(description="Lower-case hex SHA-256 of the stored file.")
    rows: int = Field(description="Data rows, header excluded.")
    columns: list[Column] = Field(description="In file order, with inferred types.")
    text_column: str | None = Field(description="The column most likely to hold text.")
    created_at: datetime
    expires_at: datetime | None = Field(
        default=None,
        description="When the dataset is deleted (a deployment's opt-in, DATASETS_TTL_SECONDS);"
        " null: kept until you delete it.",
    )
    source_encoding: str | None = Field(
        default=None,
        description="The encoding the file was converted to UTF-8 from (e.g. `cp1252`, what "
        "spreadsheets on Windows save as CSV); null when it was UTF-8. Downloads are UTF-8.",
    )

    @classmethod
    def from_pb(cls, dataset: datasets_types_pb2.Dataset) -> "Dataset":
        return cls(
            id=uuid.UUID(dataset.id),
            name=dataset.name,
            format=FORMAT_FROM_PB[dataset.format],
            size_bytes=dataset.size_bytes,
            sha256=dataset.sha256,
            rows=dataset.rows,
            columns=[Column(name=c.name, type=TYPE_FROM_PB[c.type]) for c in dataset.columns],
            text_column=dataset.text_column or None,
            created_at=utc(dataset.created_at),
            expires_at=optional_utc(dataset, "expires_at"),
            source_encoding=dataset.source_encoding or None,
        )


class DatasetDetail(Dataset):
    """A dataset with its first rows."""

    preview: list[Row] = Field(description="The first rows, each as column → value.")


class Rows(BaseModel):
    """A window of rows, each as column → value, starting at row `offset` (0-based)."""

    items: list[Row]
    offset: int


class ShareCreate(BaseModel):
    expires_in: int | None = Field(
        default=None,
        gt=0,
        le=MAX_SHARE_SECONDS,
        description=f"Lifetime in seconds, at most 7 days ({MAX_SHARE_SECONDS}); default 7 days.",
        examples=[86400],
    )


class Share(BaseModel):
    id: uuid.UUID
    token: str = Field(description="The credential in the link; shown only now.")
    url: str = Field(description="The public link: GET it without signing in.")
    expires_at: datetime


class ShareLink(BaseModel):
    """A working link of one of your datasets (its token was shown only when it was made)."""

    id: uuid.UUID
    expires_at: datetime


class ShareList(BaseModel):
    items: list[ShareLink] = Field(description="Links that still work, newest first.")


class SharedDataset(BaseModel):
    """What a share link shows: metadata and the first rows, read-only."""

    dataset: Dataset
    preview: list[Row]
    expires_at: datetime

    @classmethod
    def from_pb(cls, reply: datasets_service_pb2.GetSharedDatasetResponse) -> "SharedDataset":
        dataset = Dataset.from_pb(reply.dataset)
        return cls(
            dataset=dataset,
            preview=[row(r, dataset.columns) for r in reply.preview_rows],
            expires_at=utc(reply.expires_at),
        )


def row(record: struct_pb2.Struct, columns: list[Column]) -> Row:
    """A Struct row as JSON, keys in file order (a Struct is an unordered map); whole numbers
    come back as integers (a Struct keeps only doubles)."""
    values = MessageToDict(record)
    ordered = {c.name: whole_numbers(values.pop(c.name)) for c in columns if c.name in values}
    return {**ordered, **{key: whole_numbers(value) for key, value in values.items()}}


def whole_numbers(value: Any) -> Any:
    """JSON numbers from a Struct (always doubles) as integers where they are whole."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_INTEGERS:
        return int(value)
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    return value
