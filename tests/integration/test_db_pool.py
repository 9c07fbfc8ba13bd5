"""The engines' pool (inferlane.common.db) against the real PostgreSQL: a connection the
server closed while it sat in the pool is replaced before anyone uses it, and a live one goes
out without a liveness round trip (pool_pre_ping sent one per checkout)."""

import os
import select
from pathlib import Path

import psycopg
from sqlalchemy import event, text

from inferlane.common.db import autocommit, make_engine

BACKEND_PID = text("SELECT pg_backend_pid()")


async def test_a_connection_the_server_closed_while_pooled_is_replaced_unseen(postgres_url):
    engine = make_engine(postgres_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(BACKEND_PID)).scalar_one()
            fileno = (await conn.get_raw_connection()).driver_connection.fileno()
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [first])
        # Wait for the server's goodbye to reach the pooled socket (a condition, not a time).
        poll = select.poll()
        poll.register(fileno, select.POLLIN)
        assert poll.poll(30_000), "the terminated backend's socket never turned readable"

        async with engine.connect() as conn:  # no error: the dead connection is not handed out
            second = (await conn.execute(BACKEND_PID)).scalar_one()
    finally:
        await engine.dispose()
    assert second != first


async def test_a_pooled_connection_goes_out_without_a_liveness_round_trip(
    postgres_url, tmp_path: Path
):
    engine = make_engine(postgres_url, pool_size=1)
    trace = tmp_path / "protocol.txt"
    fd = os.open(trace, os.O_WRONLY | os.O_CREAT)

    @event.listens_for(engine.sync_engine, "connect")
    def trace_protocol(dbapi_connection, _record):  # libpq's trace of every message sent
        dbapi_connection.driver_connection.pgconn.trace(fd)

    reads = autocommit(engine)
    try:
        for _ in range(3):  # the first opens the connection; the next two reuse it
            async with reads.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
        os.close(fd)
    sent = [
        line.split("\t")[3]
        for line in trace.read_text(errors="replace").splitlines()
        if line.count("\t") >= 3 and line.split("\t")[1] == "F"
    ]
    assert sent.count("Query") == 3, sent  # one per statement, nothing per checkout
