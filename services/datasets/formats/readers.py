"""One entry point from (path, format) to a stream of records, whatever the format."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from .delimited import DelimitedRecords
from .detect import detect
from .jsonfmt import JsonArrayRecords, JsonLinesRecords
from .limits import DEFAULT_LIMITS, Limits
from .model import Format
from .offsets import ROWS_PER_CHECKPOINT, Checkpoint, Resume


class Records(Protocol):
    """Records in file order; `columns` and `checkpoints` are complete once iteration has
    finished from the top (a reader that cannot resume leaves `checkpoints` empty)."""

    columns: list[str]
    checkpoints: list[Checkpoint]

    def __iter__(self) -> Iterator[dict[str, Any]]: ...


def open_records(
    path: Path,
    fmt: Format,
    delimiter: str = "",
    resume: Resume | None = None,
    every: int = ROWS_PER_CHECKPOINT,
    limits: Limits = DEFAULT_LIMITS,
) -> Records:
    """Records of `path` read as `fmt`, from the top or from `resume` (a checkpoint of this
    file's RowIndex), noting a checkpoint every `every` rows, refusing what breaks `limits`.
    CSV without a delimiter sniffs it again from the file."""
    if fmt is Format.JSON:
        if resume is not None:
            raise ValueError("JSON arrays have no checkpoints to resume from")
        return JsonArrayRecords(path, limits)
    if fmt is Format.JSONL:
        return JsonLinesRecords(path, limits, resume, every)
    if fmt is Format.TSV:
        return DelimitedRecords(path, "\t", limits, resume, every)
    if not delimiter:
        # Same content, same sample, same answer as when the file was profiled.
        _, delimiter = detect(path)
    return DelimitedRecords(path, delimiter, limits, resume, every)
