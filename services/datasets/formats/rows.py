"""iter_rows(): stream the records of an already-profiled file, resumable from a row index."""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .limits import DEFAULT_LIMITS, Limits
from .model import Format
from .offsets import RowIndex
from .readers import open_records


def iter_rows(
    path: Path,
    fmt: Format,
    *,
    start: int = 0,
    columns: Sequence[str] | None = None,
    index: RowIndex | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (row_index, record) from row `start` (0-based) to the end, in file order.

    With the file's `index` (from its profile), parsing starts at the last checkpoint at or
    before `start`. Without one (JSON arrays, files profiled before indexes existed), every
    earlier row is parsed and dropped: record boundaries in CSV can only be found by parsing.
    CSV/TSV values are the strings as written; JSON values as parsed. With `columns`, each
    record is reshaped to exactly those keys (missing JSON keys become None).
    """
    if start < 0:
        raise ValueError("start must be >= 0")
    resume = index.resume(start) if index is not None else None
    delimiter = index.delimiter if index is not None else ""
    first = resume.at.row if resume is not None else 0
    for row, record in enumerate(
        open_records(path, fmt, delimiter, resume, limits=limits), start=first
    ):
        if row < start:
            continue
        if columns is not None:
            record = {name: record.get(name) for name in columns}
        yield row, record
