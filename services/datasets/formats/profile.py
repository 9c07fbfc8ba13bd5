"""profile(): one streaming pass that validates a file and describes it."""

from pathlib import Path
from typing import Any

from .detect import detect
from .infer import Inference
from .model import Format, Profile
from .readers import open_records


def profile(path: Path, *, preview_rows: int = 20) -> Profile:
    """Detect the format by content, validate every record, count rows, infer column types.

    Memory stays bounded whatever the file size: records are streamed and only counters, the
    preview and per-column inference state are kept. Raises UnreadableFile.
    """
    fmt, delimiter = detect(path)
    records = open_records(path, fmt, delimiter)
    inference = Inference(textual=fmt in (Format.CSV, Format.TSV))
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
    return Profile(
        format=fmt,
        rows=rows,
        columns=columns,
        text_column=inference.text_column(columns),
        preview=preview,
    )
