"""The worker's COPY of a chunk's results (services/tasks/result_writes.py) against the real
PostgreSQL: every field arrives as sent (text with odd bytes, nested jsonb, JSON `null` where
a jsonb value is None, as the INSERT it replaced stored it), a row stored already is never
written twice (the primary key fails the whole write), and a NaN in a model's output is
refused, not stored."""

import json
import math

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError

from inferlane.common.db import make_engine
from services.tasks import repository, result_writes
from services.tasks.domain import Result
from tests.support.task_rows import insert_running_task

SENT = [
    Result(
        0,
        {"text": 'tab\there, quote " and \\ back\nslash \u00e9\u4e2d'},
        "positive",
        {"positive": 0.9, "negative": 0.05, "neutral": 0.05},
    ),
    Result(
        1,
        {"age": 0.038, "tiny": 1e-05, "past_64_bits": 2**70, "nested": {"a": [1, 2.5, None, "x"]}},
        raw={"value": 151.25},
        expected_label="neutral",
        custom_id="row-\u00a0one",
    ),
    Result(2, {"text": ""}, error_code="01", error_message="the row is empty"),
]


async def test_results_arrive_as_sent_and_a_stored_row_is_never_written_twice(migrated_db):
    engine = make_engine(migrated_db)
    try:
        async with engine.begin() as conn:
            task_id = await insert_running_task(conn, total=3, chunks=1)
            await result_writes.store(conn, task_id, SENT[:2])
        # row 1 again: the whole write fails
        with pytest.raises(IntegrityError, match="UniqueViolation"):
            async with engine.begin() as conn:
                await result_writes.store(conn, task_id, SENT[1:])
        async with engine.begin() as conn:
            await result_writes.store(conn, task_id, SENT[2:])
        async with engine.connect() as conn:
            read = await repository.results_page(conn, task_id, -1, 10)
            json_nulls = (
                (
                    await conn.execute(
                        text(
                            "SELECT row_index FROM tasks.task_results WHERE task_id = :t"
                            " AND scores = 'null'::jsonb AND raw = 'null'::jsonb"
                        ),
                        {"t": task_id},
                    )
                )
                .scalars()
                .all()
            )
            # The input went through orjson; jsonb holds what the stdlib's text would give.
            same_as_stdlib = [
                (
                    await conn.execute(
                        text(
                            "SELECT input = CAST(:stdlib AS jsonb) FROM tasks.task_results"
                            " WHERE task_id = :t AND row_index = :i"
                        ),
                        {"t": task_id, "i": r.row_index, "stdlib": json.dumps(r.input)},
                    )
                ).scalar_one()
                for r in SENT
            ]
    finally:
        await engine.dispose()
    assert read == SENT
    assert json_nulls == [2]
    assert same_as_stdlib == [True, True, True]


async def test_a_nan_from_the_model_is_refused_and_the_chunk_writes_nothing(migrated_db):
    engine = make_engine(migrated_db)
    try:
        async with engine.begin() as conn:
            task_id = await insert_running_task(conn, total=1, chunks=1)
        with pytest.raises(DataError, match="NaN"):
            async with engine.begin() as conn:
                await result_writes.store(
                    conn, task_id, [Result(0, {"x": 1.0}, raw={"value": math.nan})]
                )
        async with engine.connect() as conn:
            assert await repository.results_page(conn, task_id, -1, 10) == []
    finally:
        await engine.dispose()
