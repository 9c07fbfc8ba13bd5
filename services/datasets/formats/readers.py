"""One entry point from (path, format) to a stream of records, whatever the format."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from .delimited import DelimitedRecords
from .detect import detect
from .jsonfmt import JsonArrayRecords, JsonLinesRecords
from .model import Format


class Records(Protocol):
    """Records in file order; `columns` is complete once iteration has finished."""

    columns: list[str]

    def __iter__(self) -> Iterator[dict[str, Any]]: ...


def open_records(path: Path, fmt: Format, delimiter: str = "") -> Records:
    """Records of `path` read as `fmt`; CSV without a delimiter sniffs it again from the file."""
    if fmt is Format.JSON:
        return JsonArrayRecords(path)
    if fmt is Format.JSONL:
        return JsonLinesRecords(path)
    if fmt is Format.TSV:
        return DelimitedRecords(path, "\t")
    if not delimiter:
        # Same content, same sample, same answer as when the file was profiled.
        _, delimiter = detect(path)
    return DelimitedRecords(path, delimiter)
