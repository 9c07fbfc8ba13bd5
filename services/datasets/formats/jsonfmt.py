"""JSON (an array of objects, streamed with ijson) and JSON Lines (one object per line) records.

Columns are the union of keys in first-seen order; they grow as records are read. Records are
yielded as parsed (a key missing from a record is simply absent).
"""

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from .encoding import open_bytes, text_start
from .errors import UnreadableFile
from .limits import CHUNK, Limits, exceeded
from .offsets import ROWS_PER_CHECKPOINT, Checkpoint, Resume
from .shape import ShapeGuard

SINGLE_OBJECT = "a single JSON object is not a dataset; use an array or JSON Lines"


class _KeyedRecords:
    def __init__(self, path: Path, limits: Limits) -> None:
        self._path = path
        self._limits = limits
        self.columns: list[str] = []
        self._known: set[str] = set()
        self.checkpoints: list[Checkpoint] = []

    def _admit(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise UnreadableFile(f"{where}: not a JSON object (found {_kind(value)})")
        most, biggest = self._limits.max_columns, self._limits.max_value_bytes
        for key, item in value.items():
            if key not in self._known:
                if not key.strip():
                    raise UnreadableFile(f"{where}: a key is empty")
                if len(self.columns) >= most:
                    raise exceeded(where, "too many columns", "max_columns", most)
                self._known.add(key)
                self.columns.append(key)
            # Only long strings are encoded to measure them: a character is at most 4 bytes.
            too_big = isinstance(item, str) and len(item) * 4 > biggest
            if too_big and len(item.encode()) > biggest:
                what = f"the value of '{key}' is too large"
                raise exceeded(where, what, "max_value_bytes", biggest)
        return value


class JsonArrayRecords(_KeyedRecords):
    """No checkpoints: ijson reports no byte position per item, and resuming mid-array would
    mean faking the parser's state. JSON array uploads are small; they are read from the top."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        items = ijson.sendable_list()
        # use_float: non-integers arrive as float, not Decimal.
        parser = ijson.items_coro(items, "item", use_float=True)
        guard = ShapeGuard(self._limits, 1, lambda n: f"array item at index {n}")
        index = chunk_start = 0
        with open_bytes(self._path) as data:
            try:
                while chunk := data.read(CHUNK):
                    guard.feed(chunk)  # before the builder: it must never see a bad shape
                    parser.send(chunk)
                    for item in items:
                        yield self._admit(item, f"array item at index {index}")
                        index += 1
                    del items[:]
                    chunk_start += len(chunk)
                parser.close()
            except ijson.JSONError as exc:
                raise UnreadableFile(_locate(self._path, chunk_start, exc)) from None
        if index == 0:
            raise UnreadableFile("the JSON array is empty: there are no rows")
        if not self.columns:
            raise UnreadableFile("the JSON array has no keys in its objects")


class JsonLinesRecords(_KeyedRecords):
    """Every `every`-th row's start is noted in `checkpoints`; with `resume`, parsing starts at
    such a checkpoint (each line stands alone: no other state is needed)."""

    def __init__(
        self,
        path: Path,
        limits: Limits,
        resume: Resume | None = None,
        every: int = ROWS_PER_CHECKPOINT,
    ) -> None:
        super().__init__(path, limits)
        self._resume = resume
        self._every = every

    def __iter__(self) -> Iterator[dict[str, Any]]:
        at = self._resume.at if self._resume is not None else Checkpoint(0, 0, 1)
        rows, number = at.row, at.line - 1
        offset = at.offset or text_start(self._path)
        longest = self._limits.max_line_bytes
        with open_bytes(self._path, at.offset, at.line) as data:
            while line := data.readline(longest + 1):
                number += 1
                first_byte, offset = offset, offset + len(line)
                if len(line) > longest:
                    raise exceeded(
                        f"line {number}", "the line is too long", "max_line_bytes", longest
                    )
                if not line.strip():
                    continue
                self._check_shape(line, number)
                try:
                    value = json.loads(line, parse_constant=_no_constants)
                except ValueError as exc:
                    if rows == 0 and _one_document(self._path):
                        raise UnreadableFile(SINGLE_OBJECT) from None
                    reason = getattr(exc, "msg", str(exc))
                    raise UnreadableFile(f"line {number}: not valid JSON ({reason})") from None
                if rows % self._every == 0:
                    self.checkpoints.append(Checkpoint(rows, first_byte, number))
                rows += 1
                yield self._admit(value, f"line {number}")
        # No rows cannot happen: the file starts with "{", so its first line is a record or bad.
        if not self.columns:
            raise UnreadableFile("the JSON Lines objects have no keys")

    def _check_shape(self, line: bytes, number: int) -> None:
        """Depth and value count before json.loads builds the line (it recurses per level)."""
        limits = self._limits
        brackets = line.count(b"[") + line.count(b"{")
        # Fast path, counted at C speed: a value takes at least two bytes with its separator,
        # and brackets inside strings only overcount the depth.
        if brackets <= limits.max_nesting_depth and len(line) < 2 * limits.max_values_per_record:
            return
        # Bad syntax is left to json.loads, which says where and why.
        guard = ShapeGuard(limits, 0, lambda _: f"line {number}")
        with contextlib.suppress(ijson.JSONError):
            # In chunks: the guard's pending events are its only memory.
            for start in range(0, len(line), CHUNK):
                guard.feed(line[start : start + CHUNK])


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "an array"
    )


def _reason(exc: Exception) -> str:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for prefix in ("parse error: ", "lexical error: "):
        first = first.removeprefix(prefix)
    return first.rstrip(".")


def _locate(path: Path, chunk_start: int, exc: Exception) -> str:
    """Re-parse to find the line of a JSON syntax error (error path only).

    The fast pass feeds 64 KiB chunks, so it only knows which chunk failed. This pass feeds the
    same bytes up to that chunk, then one line at a time: the line whose feed fails is the culprit.
    """
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events)
    line = 1
    with open_bytes(path) as data:
        try:
            while chunk_start > 0 and (chunk := data.read(min(CHUNK, chunk_start))):
                parser.send(chunk)
                del events[:]
                chunk_start -= len(chunk)
                line += chunk.count(b"\n")
            while piece := data.readline(CHUNK):
                parser.send(piece)
                del events[:]
                line += piece.endswith(b"\n")
            parser.close()
        except ijson.JSONError as again:
            exc = again
        else:
            return f"invalid JSON ({_reason(exc)})"
    reason = _reason(exc)
    if "premature EOF" in reason or "Incomplete" in reason:
        return "the JSON ends before it is complete (is a closing ']' or '}' missing?)"
    return f"line {line}: invalid JSON ({reason})"


def _one_document(path: Path) -> bool:
    """Whether the whole file is exactly one JSON value (a pretty-printed object)."""
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events)
    with open_bytes(path) as data:
        try:
            while chunk := data.read(CHUNK):
                parser.send(chunk)
                del events[:]
            parser.close()
        except ijson.JSONError:
            return False
    return True
