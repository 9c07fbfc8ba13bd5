"""Counting the SQL statements a piece of code sends through one engine.

The platform's own cost per request is mostly database round trips (docs/benchmarks.md,
issue 16), and a count, unlike a timing, is the same on a loaded machine: tests assert upper
bounds on it. Every `before_cursor_execute` is one statement sent; an executemany is one
statement too (psycopg sends its rows as one pipelined batch), and its row count is kept
beside it. psycopg sends BEGIN by itself before a transaction's first statement, and its
end is a round trip as well, so BEGIN, COMMIT and ROLLBACK count, except on an AUTOCOMMIT
connection, where none of them is sent. COPY through the raw driver connection
(vector_writes.py) bypasses SQLAlchemy and is not counted.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class Statements:
    sent: list[str] = field(default_factory=list)  # the first words of each statement, in order

    @property
    def count(self) -> int:
        return len(self.sent)

    def __str__(self) -> str:
        return "\n".join(f"{i + 1:3}. {s}" for i, s in enumerate(self.sent))


def _summary(statement: str, parameters: Any, executemany: bool) -> str:
    words = " ".join(statement.split())[:90]
    return f"{words} [x{len(parameters)}]" if executemany else words


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[Statements]:
    """Count what `engine` executes inside the block (every connection, every task)."""
    seen = Statements()

    def before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        seen.sent.append(_summary(statement, parameters, executemany))

    def marker(word: str) -> Callable[[Connection], None]:
        def note(conn: Connection) -> None:
            if not conn.connection.dbapi_connection.autocommit:  # type: ignore[union-attr]
                seen.sent.append(word)

        return note

    target = engine.sync_engine
    listeners: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", before),
        ("begin", marker("BEGIN")),
        ("commit", marker("COMMIT")),
        ("rollback", marker("ROLLBACK")),
    ]
    for name, fn in listeners:
        event.listen(target, name, fn)
    try:
        yield seen
    finally:
        for name, fn in listeners:
            event.remove(target, name, fn)
