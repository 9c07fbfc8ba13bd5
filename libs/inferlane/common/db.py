"""Async SQLAlchemy over psycopg 3: engines, sessions and a readiness probe."""

import asyncio
import contextlib
import json
import select
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import orjson
import psycopg
from sqlalchemy import event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from inferlane.common.fast_json import dumps_if_same


def psycopg_url(url: str) -> URL:
    """Accept plain ``postgresql://`` URLs (what people paste) and select the psycopg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    engine = create_async_engine(
        psycopg_url(url),
        pool_size=pool_size,
        connect_args={"connect_timeout": 3},
        json_deserializer=load_json,
    )
    event.listen(engine.sync_engine, "checkout", _replace_if_server_hung_up)
    return engine


def load_json(data: bytes | str) -> Any:
    """jsonb columns as Python values, through orjson: the stdlib parser was 30 % of a
    million-row export's CPU (inputs, scores and raw outputs are jsonb on every result row).
    Numbers PostgreSQL can hold and orjson cannot (beyond a double, like 1e400) go to the
    stdlib parser instead of failing the read. An integer past 64 bits that a double can hold
    comes back as that double: rows and outputs reach jsonb as protobuf doubles anyway."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


@contextlib.asynccontextmanager
async def copy_in(conn: AsyncConnection, statement: str) -> AsyncIterator[psycopg.AsyncCopy]:
    """A `COPY … FROM STDIN` in `conn`'s transaction, through psycopg (SQLAlchemy has no
    COPY). psycopg's errors come out as SQLAlchemy's, as every other statement's do: a
    caller that tells a database outage (retry) from a bug catches one family."""
    raw = (await conn.get_raw_connection()).driver_connection  # psycopg's, same transaction
    assert raw is not None  # a connection checked out of the pool has its driver's
    try:
        async with raw.cursor() as cursor, cursor.copy(statement) as copy:
            yield copy
    except psycopg.Error as error:
        raise exc.DBAPIError.instance(statement, None, error, psycopg.Error) from error


async def stream_rows(
    engine: AsyncEngine,
    statement: str,
    params: dict[str, Any],
    make_row: Callable[[Sequence[Any]], Any],
    batch: int,
) -> AsyncIterator[list[Any]]:
    """A SELECT's rows, `batch` at a time, through a psycopg server-side cursor (memory stays
    at one batch), each row made by `make_row` from its values. Straight through psycopg, not
    SQLAlchemy's streaming result: SQLAlchemy's Row for each row, then the caller's object
    from it, was a tenth of a million-row export's CPU. Errors come out as SQLAlchemy's, as in
    copy_in."""
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None  # a connection checked out of the pool has its driver's
        try:
            # Its transaction is the one SQLAlchemy rolls back when the connection goes back.
            async with raw.cursor("stream_rows", row_factory=lambda _: make_row) as cursor:
                await cursor.execute(statement, params)
                ahead = asyncio.ensure_future(cursor.fetchmany(batch))
                try:
                    while rows := await ahead:
                        # The next batch is on its way while the caller works on this one.
                        ahead = asyncio.ensure_future(cursor.fetchmany(batch))
                        yield rows
                finally:
                    # Left early: let the read in flight finish (one batch), not cancel it
                    # halfway through the protocol, so the cursor closes cleanly.
                    await asyncio.gather(ahead, return_exceptions=True)
        except psycopg.Error as error:
            raise exc.DBAPIError.instance(statement, params, error, psycopg.Error) from error


def dump_json(value: Any) -> bytes | str:
    """jsonb text through orjson where it writes what the stdlib encoder writes (the stdlib
    encoder was 8-10 % of the worker's CPU on a million-row task), through the stdlib
    otherwise: a model's NaN then reaches PostgreSQL as `NaN`, which it refuses, so the chunk
    fails instead of storing a null. The stored jsonb is the same either way: PostgreSQL keeps
    numbers as numeric, not as the text that carried them."""
    if value is None:  # every result has a jsonb column it leaves empty
        return b"null"
    return dumps_if_same(value) or json.dumps(value)


def _replace_if_server_hung_up(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """pool_pre_ping's job without its round trip (it sent one per checkout, i.e. one more
    per transaction and per autocommit read). An idle pooled connection's socket turns readable
    only when the server has said something, and what it says is that it is closing the
    connection: a restart, pg_terminate_backend, a crash (a FATAL message, or EOF). Such a
    connection is replaced before anyone uses it; a live one goes out without a word sent."""
    poll = select.poll()
    try:
        poll.register(dbapi_connection.driver_connection.fileno(), select.POLLIN)
        spoke = bool(poll.poll(0))
    except (OSError, psycopg.Error) as error:  # closed already: fileno() refuses
        raise exc.DisconnectionError(str(error)) from error
    if spoke:
        raise exc.DisconnectionError("the server closed this connection while it was idle")


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same pool with each statement its own transaction: for a read, or a write that is
    one statement, psycopg then sends no BEGIN and no COMMIT/ROLLBACK (two round trips less);
    under READ COMMITTED each statement has its own snapshot anyway."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def readiness_check(engine: AsyncEngine) -> Callable[[], Awaitable[bool]]:
    """A health check that answers True while PostgreSQL runs queries."""

    async def check() -> bool:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    return check
