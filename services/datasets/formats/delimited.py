"""CSV/TSV records: header checks, ragged rows and oversized fields, with the line they start on."""

import csv
from collections.abc import Iterator
from pathlib import Path

from .encoding import TextLines, open_text, text_start
from .errors import UnreadableFile
from .limits import Limits, exceeded
from .offsets import ROWS_PER_CHECKPOINT, Checkpoint, Resume


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
        limits: Limits,
        resume: Resume | None = None,
        every: int = ROWS_PER_CHECKPOINT,
    ) -> None:
        self._path = path
        self._delimiter = delimiter
        self._limits = limits
        self._resume = resume
        self._every = every
        self.columns: list[str] = []
        self.checkpoints: list[Checkpoint] = []

    def __iter__(self) -> Iterator[dict[str, str]]:
        # Process-wide setting; the default (128 KiB) is below our 1 MiB field limit. Characters
        # are at most as many as bytes, so anything the csv module refuses is over the limit.
        biggest = self._limits.max_value_bytes
        csv.field_size_limit(biggest)
        # Any field this long in characters may be over the byte limit: only those get encoded.
        suspect = biggest // 4
        header: list[str] | None = None
        rows, offset, line = 0, 0, 1
        if self._resume is not None:
            header = self.columns = list(self._resume.header or [])
            rows, offset, line = self._resume.at.row, self._resume.at.offset, self._resume.at.line
        with open_text(self._path, offset, line) as text:
            # The reader pulls lines only as it needs them: between records, `lines.end` is
            # where the next record starts.
            lines = TextLines(
                text, offset or text_start(self._path), line, self._limits.max_line_bytes
            )
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
                    problem = _csv_problem(str(exc), start, current, biggest)
                    raise problem from None
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
                if max(map(len, fields)) > suspect:
                    _check_sizes(fields, header, start, biggest)
                if rows % self._every == 0:
                    self.checkpoints.append(Checkpoint(rows, first_byte, start))
                rows += 1
                yield dict(zip(header, fields, strict=True))
        if header is None:
            raise UnreadableFile("the file is empty")
        if rows == 0:
            raise UnreadableFile("the header has no rows under it")

    def _read_header(self, fields: list[str], line: int) -> list[str]:
        most = self._limits.max_columns
        if len(fields) > most:
            raise exceeded(f"line {line}", "too many columns", "max_columns", most)
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


def _check_sizes(fields: list[str], header: list[str], line: int, biggest: int) -> None:
    for name, value in zip(header, fields, strict=True):
        if len(value) > biggest // 4 and len(value.encode()) > biggest:
            what = f"the value of '{name}' is too large"
            raise exceeded(f"line {line}", what, "max_value_bytes", biggest)


def _csv_problem(error: str, start: int, current: int, biggest: int) -> UnreadableFile:
    if "field limit" in error:
        what = "a field is too large (or a quote is never closed)"
        return exceeded(f"line {start}", what, "max_value_bytes", biggest)
    if "unexpected end of data" in error:
        return UnreadableFile(f"line {start}: a quoted field is never closed")
    if "expected after" in error:  # e.g. "x"y: text after the closing quote
        return UnreadableFile(
            f"line {current}: text follows a closing quote"
            ' (a quote inside a quoted field is written "")'
        )
    return UnreadableFile(f"line {current}: malformed CSV ({error})")
