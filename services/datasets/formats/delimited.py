"""CSV/TSV records: header checks, ragged rows and oversized fields, with the line they start on."""

import csv
from collections.abc import Iterator
from pathlib import Path

from .encoding import TextLines, open_text, text_start
from .errors import UnreadableFile
from .limits import MAX_COLUMNS, MAX_FIELD_BYTES, MIB
from .offsets import ROWS_PER_CHECKPOINT, Checkpoint, Resume

# Any field this long in characters may be over the byte limit, so only those get encoded.
_SUSPECT_CHARS = MAX_FIELD_BYTES // 4


class DelimitedRecords:
    """The data rows as {column: value as written}; `columns` is set once the header is read.

    Blank lines (and lines holding only whitespace) are skipped and are not rows. Every
    `every`-th row's start is noted in `checkpoints`; with `resume`, parsing starts at such a
    checkpoint, its header already known.
    """

    def __init__(
        self,
        path: Path,
        delimiter: str,
        resume: Resume | None = None,
        every: int = ROWS_PER_CHECKPOINT,
    ) -> None:
        self._path = path
        self._delimiter = delimiter
        self._resume = resume
        self._every = every
        self.columns: list[str] = []
        self.checkpoints: list[Checkpoint] = []

    def __iter__(self) -> Iterator[dict[str, str]]:
        # Process-wide setting; the default (128 KiB) is below our 1 MiB field limit. Characters
        # are at most as many as bytes, so anything the csv module refuses is over the limit.
        csv.field_size_limit(MAX_FIELD_BYTES)
        header: list[str] | None = None
        rows, offset, line = 0, 0, 1
        if self._resume is not None:
            header = self.columns = list(self._resume.header or [])
            rows, offset, line = self._resume.at.row, self._resume.at.offset, self._resume.at.line
        with open_text(self._path, offset, line) as text:
            # The reader pulls lines only as it needs them: between records, `lines.end` is
            # where the next record starts.
            lines = TextLines(text, offset or text_start(self._path), line)
            # strict: a quote left open at the end, or text after a closing quote, is an error
            # rather than a silently merged field.
            reader = csv.reader(lines, delimiter=self._delimiter, strict=True)
            before = line - 1  # lines before the reader's first: line_num counts from there
            end = before  # csv's line_num is where a record ENDS; the next starts on the line after
            while True:
                start, first_byte = end + 1, lines.end
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    current = before + reader.line_num
                    raise UnreadableFile(_csv_problem(str(exc), start, current)) from None
                end = before + reader.line_num
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue
                if header is None:
                    header = self._read_header(fields, start)
                    continue
                if len(fields) != len(header):
                    raise UnreadableFile(
                        f"line {start}: expected {len(header)} fields, found {len(fields)}"
                    )
                if max(map(len, fields)) > _SUSPECT_CHARS:
                    _check_sizes(fields, header, start)
                if rows % self._every == 0:
                    self.checkpoints.append(Checkpoint(rows, first_byte, start))
                rows += 1
                yield dict(zip(header, fields, strict=True))
        if header is None:
            raise UnreadableFile("the file is empty")
        if rows == 0:
            raise UnreadableFile("the header has no rows under it")

    def _read_header(self, fields: list[str], line: int) -> list[str]:
        if len(fields) > MAX_COLUMNS:
            raise UnreadableFile(f"line {line}: more than {MAX_COLUMNS:,} columns")
        seen: dict[str, int] = {}
        for position, name in enumerate(fields, start=1):
            if not name.strip():
                raise UnreadableFile(f"column {position} has no name")
            if name in seen:
                raise UnreadableFile(
                    f"duplicate column name '{name}' (columns {seen[name]} and {position})"
                )
            seen[name] = position
        self.columns = list(fields)
        return self.columns


def _check_sizes(fields: list[str], header: list[str], line: int) -> None:
    for name, value in zip(header, fields, strict=True):
        if len(value) > _SUSPECT_CHARS and len(value.encode()) > MAX_FIELD_BYTES:
            raise UnreadableFile(f"line {line}: the value of '{name}' is larger than 1 MiB")


def _csv_problem(error: str, start: int, current: int) -> str:
    if "field limit" in error:
        return (
            f"line {start}: a field is larger than {MAX_FIELD_BYTES // MIB} MiB"
            " (or a quote is never closed)"
        )
    if "unexpected end of data" in error:
        return f"line {start}: a quoted field is never closed"
    if "expected after" in error:  # e.g. "x"y: text after the closing quote
        return (
            f"line {current}: text follows a closing quote"
            ' (a quote inside a quoted field is written "")'
        )
    return f"line {current}: malformed CSV ({error})"
