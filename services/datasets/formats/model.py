"""The values this package hands out: formats, column types, the profile of a file."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .offsets import RowIndex


class Format(StrEnum):
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    JSONL = "jsonl"


class ColumnType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType


@dataclass(frozen=True)
class Profile:
    format: Format
    rows: int
    columns: list[Column]
    # The string column most likely to hold free text (the sentiment default), if any.
    text_column: str | None
    # The first rows, keyed by every column name (missing JSON keys are None).
    preview: list[dict[str, Any]]
    # Where every K-th row starts, for reads that begin late in the file; None for JSON arrays.
    row_index: RowIndex | None = None
