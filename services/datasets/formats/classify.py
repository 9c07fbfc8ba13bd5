"""The type of one value, and a fast check that a batch of CSV values all fit a type."""

import re
from datetime import datetime
from typing import Any

from .model import ColumnType

# Surrounding spaces in a CSV cell are not significant, hence the \s* at both ends.
_SHAPES = {
    ColumnType.INTEGER: r"\s*[+-]?\d+\s*",
    ColumnType.FLOAT: r"\s*[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?\s*",
    ColumnType.BOOLEAN: r"\s*(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\s*",
}
_ONE = {kind: re.compile(shape, re.ASCII) for kind, shape in _SHAPES.items()}
# Values joined by NUL (which the encoding layer never lets into a value) checked in one regex
# pass: a settled column's batch is validated in C instead of value by value in Python.
_MANY = {
    kind: re.compile(rf"(?:{shape})(?:\x00(?:{shape}))*", re.ASCII)
    for kind, shape in _SHAPES.items()
}
# ISO 8601 date, optionally with a time ("T" or a space) and a zone; fromisoformat then rejects
# impossible dates such as 2024-13-01. The shape check keeps fromisoformat's looser forms out.
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)


def is_datetime(value: str) -> bool:
    value = value.strip()
    if not _DATETIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def type_of_text(value: str) -> ColumnType:
    """Type of a non-empty CSV/TSV value, which is always written as text."""
    for kind in (ColumnType.INTEGER, ColumnType.FLOAT, ColumnType.BOOLEAN):
        if _ONE[kind].fullmatch(value):
            return kind
    return ColumnType.DATETIME if is_datetime(value) else ColumnType.STRING


def type_of_json(value: Any) -> ColumnType:
    """Type of a non-empty parsed JSON value: its JSON type, except ISO strings are datetimes."""
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return ColumnType.BOOLEAN
    if isinstance(value, int):
        return ColumnType.INTEGER
    if isinstance(value, float):
        return ColumnType.FLOAT
    if isinstance(value, str) and is_datetime(value):
        return ColumnType.DATETIME
    return ColumnType.STRING  # strings, and nested arrays/objects


def all_fit(kind: ColumnType, values: list[str]) -> bool:
    """Whether every one of these non-empty CSV values leaves a column of type `kind` as it is."""
    if kind is ColumnType.STRING:
        return True
    if kind is ColumnType.DATETIME:
        return all(map(is_datetime, values))
    # A float column's pattern accepts integers too: they keep a float column float.
    return _MANY[kind].fullmatch("\x00".join(values)) is not None


def merge(seen: ColumnType | None, new: ColumnType) -> ColumnType:
    """Integer and float make float; any other mix is string."""
    if seen is None or seen is new:
        return new
    if {seen, new} == {ColumnType.INTEGER, ColumnType.FLOAT}:
        return ColumnType.FLOAT
    return ColumnType.STRING
