"""iter_rows(): stream the records of an already-profiled file, resumable from a row index."""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .model import Format
from .readers import open_records


def iter_rows(
    path: Path, fmt: Format, *, start: int = 0, columns: Sequence[str] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (row_index, record) from row `start` (0-based) to the end, in file order.

    Earlier rows are parsed and dropped (record boundaries in CSV can only be found by parsing).
    CSV/TSV values are the strings as written; JSON values as parsed. With `columns`, each
    record is reshaped to exactly those keys (missing JSON keys become None).
    """
    if start < 0:
        raise ValueError("start must be >= 0")
    for index, record in enumerate(open_records(path, fmt)):
        if index < start:
            continue
        if columns is not None:
            record = {name: record.get(name) for name in columns}
        yield index, record
