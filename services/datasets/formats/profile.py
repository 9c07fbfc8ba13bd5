"""profile(): one streaming pass that validates a file and describes it."""

from pathlib import Path
from typing import Any

from inferlane.common.dataset_preview import PREVIEW_ROWS

from .detect import detect
from .infer import Inference
from .limits import DEFAULT_LIMITS, Limits
from .model import Format, Profile
from .offsets import ROWS_PER_CHECKPOINT, RowIndex
from .readers import open_records


def profile(
    path: Path,
    *,
    preview_rows: int = PREVIEW_ROWS,
    checkpoint_every: int = ROWS_PER_CHECKPOINT,
    limits: Limits = DEFAULT_LIMITS,
) -> Profile:
    """Detect the format by content, validate every record, count rows, infer column types,
    and note where every `checkpoint_every`-th row starts (the row index; none for JSON).

    Memory stays bounded whatever the file size: records are streamed and only counters, the
    preview, per-column inference state and the sparse row index are kept, and `limits` bound
    what one record may cost. Raises UnreadableFile.
    """
    fmt, delimiter = detect(path)
    records = open_records(path, fmt, delimiter, every=checkpoint_every, limits=limits)
    textual = fmt in (Format.CSV, Format.TSV)
    inference = Inference(textual=textual)
    preview: list[dict[str, Any]] = []
    rows = 0
    for record in records:
        inference.observe(record)
        if rows < preview_rows:
            preview.append(record)
        rows += 1
    columns = inference.columns(records.columns)
    # JSON keys first seen after a preview row was taken are filled in as None.
    names = [column.name for column in columns]
    preview = [{name: row.get(name) for name in names} for row in preview]
    index = None
    if records.checkpoints:
        index = RowIndex(
            checkpoint_every,
            records.checkpoints,
            delimiter=delimiter if textual else "",
            header=list(records.columns) if textual else None,
        )
    return Profile(
        format=fmt,
        rows=rows,
        columns=columns,
        text_column=inference.text_column(columns),
        preview=preview,
        row_index=index,
    )
