"""Column types and the text column, inferred in one pass with a few counters per column."""

import re
from typing import Any

from .classify import all_fit, is_datetime, merge, type_of_json, type_of_text
from .limits import MIB
from .model import Column, ColumnType

# Names that usually hold free text, best first (compared lower-case, spaces/dashes as "_").
TEXT_NAMES = (
    "text",
    "review",
    "review_text",
    "comment",
    "body",
    "content",
    "message",
    "description",
)
# CSV records are held back and typed a column at a time; these bound what is held.
_BATCH_ROWS = 1024
_BATCH_CHARS = 1 * MIB


class _ColumnState:
    __slots__ = ("chars", "texts", "type")

    def __init__(self) -> None:
        self.type: ColumnType | None = None  # None until a non-empty value is seen
        self.chars = 0  # characters over the non-empty string values, for the average length
        self.texts = 0


class Inference:
    """Feed every record to `observe`, then call `columns` and `text_column`.

    Empty values ("" and None) say nothing about a type; a column with none but empty values is
    a string column. `textual` is for CSV/TSV, whose records all carry the header's keys in order.
    """

    def __init__(self, *, textual: bool) -> None:
        self._textual = textual
        self._states: dict[str, _ColumnState] = {}
        self._batch: list[dict[str, Any]] = []
        self._held = 0

    def observe(self, record: dict[str, Any]) -> None:
        if not self._textual:
            self._observe_json(record)
            return
        self._batch.append(record)
        self._held += sum(map(len, record.values()))
        if len(self._batch) >= _BATCH_ROWS or self._held >= _BATCH_CHARS:
            self._flush()

    def _state(self, name: str) -> _ColumnState:
        state = self._states.get(name)
        if state is None:
            state = self._states[name] = _ColumnState()
        return state

    def _flush(self) -> None:
        batch, self._batch, self._held = self._batch, [], 0
        if not batch:
            return
        # Transpose the batch into columns (all records share the header's keys, in order).
        columns = zip(*(record.values() for record in batch), strict=True)
        for name, values in zip(batch[0], columns, strict=True):
            state = self._state(name)
            present = [value for value in values if value]
            if not present:
                continue
            state.texts += len(present)
            state.chars += sum(map(len, present))
            seen = state.type
            if seen is ColumnType.STRING or (seen is not None and all_fit(seen, present)):
                continue  # string absorbs everything; a settled column that still fits stays
            for value in present:
                seen = merge(seen, type_of_text(value))
                if seen is ColumnType.STRING:
                    break
            state.type = seen

    def _observe_json(self, record: dict[str, Any]) -> None:
        for name, value in record.items():
            state = self._state(name)
            if value is None or value == "":
                continue
            seen = state.type
            if isinstance(value, str):
                state.chars += len(value)
                state.texts += 1
                if seen is ColumnType.DATETIME and is_datetime(value):
                    continue
            if seen is not ColumnType.STRING:
                state.type = merge(seen, type_of_json(value))

    def columns(self, names: list[str]) -> list[Column]:
        self._flush()
        return [Column(name, self._type(name)) for name in names]

    def _type(self, name: str) -> ColumnType:
        state = self._states.get(name)
        return state.type if state is not None and state.type is not None else ColumnType.STRING

    def text_column(self, columns: list[Column]) -> str | None:
        strings = [column.name for column in columns if column.type is ColumnType.STRING]
        by_name: dict[str, str] = {}
        for name in strings:
            by_name.setdefault(re.sub(r"[\s\-]+", "_", name.strip().lower()), name)
        for preferred in TEXT_NAMES:
            if preferred in by_name:
                return by_name[preferred]
        # max keeps the first of equals, so ties go to the leftmost column.
        return max(strings, key=self._average_length, default=None)

    def _average_length(self, name: str) -> float:
        state = self._states.get(name)
        return state.chars / state.texts if state is not None and state.texts else 0.0
