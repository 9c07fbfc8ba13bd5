"""db.stream_rows against the real PostgreSQL: a SELECT's rows in batches, each made by the
caller's function; an error as SQLAlchemy's, as every other statement's; and a stream left
early hands back a connection that works."""

from typing import NamedTuple

import pytest
from sqlalchemy import exc, text

from inferlane.common.db import make_engine, stream_rows

SERIES = "SELECT n, n * 2 AS twice FROM generate_series(1, %(last)s) AS n ORDER BY n"


class Pair(NamedTuple):
    n: int
    twice: int


async def test_rows_come_in_batches_made_by_the_callers_function(postgres_url):
    engine = make_engine(postgres_url, pool_size=1)
    try:
        batches = [b async for b in stream_rows(engine, SERIES, {"last": 7}, Pair._make, 3)]
    finally:
        await engine.dispose()
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [p for b in batches for p in b] == [Pair(n, n * 2) for n in range(1, 8)]


async def test_a_failing_statement_raises_sqlalchemys_error(postgres_url):
    engine = make_engine(postgres_url, pool_size=1)
    try:
        with pytest.raises(exc.ProgrammingError, match="no_such_table"):
            async for _ in stream_rows(engine, "SELECT * FROM no_such_table", {}, tuple, 10):
                pass
        async with engine.connect() as conn:  # the pool's connection still works
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_a_stream_left_early_hands_back_a_connection_that_works(postgres_url):
    engine = make_engine(postgres_url, pool_size=1)
    pid = text("SELECT pg_backend_pid()")
    try:
        async with engine.connect() as conn:
            before = (await conn.execute(pid)).scalar_one()
        stream = stream_rows(engine, SERIES, {"last": 10_000}, Pair._make, 100)
        first = await anext(stream)
        await stream.aclose()  # as when the client of an export goes away
        async with engine.connect() as conn:
            # The pool's one connection is back (not held by the stream), with no cursor left.
            after = (await conn.execute(pid)).scalar_one()
            cursors = (await conn.execute(text("SELECT count(*) FROM pg_cursors"))).scalar_one()
    finally:
        await engine.dispose()
    assert first[0] == Pair(1, 2)
    assert (after, cursors) == (before, 0)
