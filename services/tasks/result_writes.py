"""A chunk's result rows into task_results with one COPY.

Why not an INSERT of each row: SQLAlchemy's executemany processes every parameter of every
row in Python before psycopg sees it, and a row carries nine of them. A micro-benchmark of
256-row chunks (12 interleaved rounds, medians, the `diabetes-progression` shape) put the
INSERT at 52.6 µs of Python CPU per row and this COPY at 20.0 (a second run, on a faster
phase of the machine: 34.2, 13.4, and 9.5 with the input encoded by orjson).

Exactly once, as in vector_writes: the caller's transaction is the one that claimed the
chunk (completed_at set, repository.store_chunk), and only a claiming transaction writes a
chunk's rows. A row already there would mean the claim failed to guard it: the primary key
(task_id, row_index) then fails the transaction rather than store a row twice.

jsonb values are stored as SQLAlchemy stored them: a Python None in a jsonb column as JSON
`null`, not SQL NULL; through orjson, except where the standard library's encoder writes
something else (`db.dump_json`), so a NaN from a model is refused by PostgreSQL and the
chunk fails, not stored as `null`.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.db import copy_in, dump_json
from services.tasks.domain import Result
from services.tasks.tables import task_results

_FIELDS = list(Result._fields)
# Which of a Result's values are jsonb, by position (they get Jsonb wrappers).
_JSON_AT = [i for i, name in enumerate(_FIELDS) if isinstance(task_results.c[name].type, JSONB)]
# The COPY's column types for psycopg's dumpers (text's dumper serves varchar columns too).
_PG_TYPE = {int: "int8", str: "text", dict: "jsonb"}
_TYPES = ["uuid", *(_PG_TYPE[task_results.c[name].type.python_type] for name in _FIELDS)]
_COPY = f"COPY {task_results.schema}.{task_results.name} (task_id, {', '.join(_FIELDS)}) FROM STDIN"


def copy_row(task_id: uuid.UUID, result: Result) -> list[Any]:
    """One result as the COPY's row: the task, then the Result's fields in order."""
    values: list[Any] = [task_id, *result]
    for i in _JSON_AT:
        values[i + 1] = Jsonb(values[i + 1], dump_json)
    return values


async def store(conn: AsyncConnection, task_id: uuid.UUID, results: Sequence[Result]) -> None:
    """Store a chunk's results in `conn`'s transaction, the one that claimed the chunk."""
    if not results:
        return
    async with copy_in(conn, _COPY) as copy:
        copy.set_types(_TYPES)
        for result in results:
            await copy.write_row(copy_row(task_id, result))
