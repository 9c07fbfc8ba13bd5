"""Rows given in Python as the FROM of a statement that is built once and then run with new
values, as bind parameters.

Building a SQLAlchemy statement costs CPU on every call (a statement of a few CTEs took
~3.5 ms to build on the 2-core development machine, more than the round trips it saved), and
a `values(...).data(rows)` construct cannot be cached at all. So a hot statement is built
once per shape from `bindparam`s, kept, and executed with a dict of parameters.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Subquery, bindparam, select, union_all
from sqlalchemy.types import TypeEngine


def param_rows(name: str, columns: Sequence[tuple[str, TypeEngine[Any]]], count: int) -> Subquery:
    """`count` rows of bind parameters named `<name>_<row>_<column>`, as a subquery `name`."""
    if count < 1:
        raise ValueError("param_rows needs at least one row")
    selects = [
        select(*[bindparam(f"{name}_{i}_{n}", type_=t).label(n) for n, t in columns])
        for i in range(count)
    ]
    return (selects[0] if count == 1 else union_all(*selects)).subquery(name)


def row_params(
    name: str, columns: Sequence[tuple[str, TypeEngine[Any]]], rows: Sequence[Sequence[Any]]
) -> dict[str, Any]:
    """The values of `param_rows(name, columns, len(rows))`'s parameters."""
    return {
        f"{name}_{i}_{n}": value
        for i, row in enumerate(rows)
        for (n, _), value in zip(columns, row, strict=True)
    }
