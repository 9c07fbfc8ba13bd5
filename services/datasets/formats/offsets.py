"""A sparse row-offset index: where every K-th row starts, so a late row is reached by a seek.

Made during the profiling pass and stored with the dataset. A checkpoint is a record's first
byte in the stored file, counted from 0 with any BOM included, plus its line number (so error
messages stay exact). Resuming there needs no parser state for JSON Lines; CSV/TSV also need
the header and the delimiter, kept once for the whole index. JSON arrays have no index.
"""

import bisect
from dataclasses import dataclass
from typing import Any

# Rows between checkpoints: a read parses at most this many rows it does not return, and
# 1,000,000 rows need ~3,900 checkpoints. The tasks service's chunks (256 rows, after a ramp
# that adds up to 256) each start at one, so a chunk's read skips nothing.
ROWS_PER_CHECKPOINT = 256


@dataclass(frozen=True)
class Checkpoint:
    row: int  # 0-based index of the row that starts here
    offset: int  # byte offset of the row's first byte in the stored file
    line: int  # 1-based line number of that byte, as its reader counts lines (for messages)


@dataclass(frozen=True)
class Resume:
    """Everything a reader needs to start parsing at a checkpoint instead of the file's start."""

    at: Checkpoint
    header: list[str] | None  # CSV/TSV field names; None for JSON Lines


@dataclass(frozen=True)
class RowIndex:
    every: int
    checkpoints: list[Checkpoint]  # ascending rows
    delimiter: str = ""  # CSV/TSV
    header: list[str] | None = None  # CSV/TSV

    def resume(self, start: int) -> Resume | None:
        """The last checkpoint at or before row `start`, if any."""
        rows = [point.row for point in self.checkpoints]
        position = bisect.bisect_right(rows, start) - 1
        return Resume(self.checkpoints[position], self.header) if position >= 0 else None

    def to_json(self) -> dict[str, Any]:
        return {
            "every": self.every,
            # A code point, not the character: one-column files use NUL, which jsonb refuses.
            "delimiter": ord(self.delimiter) if self.delimiter else None,
            "header": self.header,
            "checkpoints": [[p.row, p.offset, p.line] for p in self.checkpoints],
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> "RowIndex":
        delimiter = value.get("delimiter")
        return cls(
            every=value["every"],
            # Nulls are skipped: the database may hand out a narrowed list (see repository).
            checkpoints=[Checkpoint(*p) for p in value["checkpoints"] if p is not None],
            delimiter=chr(delimiter) if delimiter is not None else "",
            header=value.get("header"),
        )
