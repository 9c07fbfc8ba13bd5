"""The worker's binary COPY of a chunk's vectors (services/tasks/vector_writes.py) against the
real PostgreSQL with pgvector: the stored vectors are the ones sent, a rolled-back chunk leaves
none, and a row stored already is never written twice (the chunk's claim is what keeps a
redelivery from writing again; the primary key fails a second write rather than keep two)."""

import uuid

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from inferlane.common.db import make_engine
from services.tasks import vector_writes
from tests.support.task_rows import insert_running_task


async def stored(conn, task_id: uuid.UUID) -> dict[int, np.ndarray]:
    rows = await conn.execute(
        text(
            "SELECT row_index, embedding::text FROM tasks.task_vectors WHERE task_id = :t"
            " ORDER BY row_index"
        ),
        {"t": task_id},
    )
    return {r[0]: np.array([float(x) for x in r[1][1:-1].split(",")]) for r in rows}


async def test_vectors_arrive_as_sent_and_a_stored_row_is_never_written_twice(migrated_db):
    engine = make_engine(migrated_db)
    sent = np.random.default_rng(0).normal(size=(6, 384)).astype(np.float32)
    try:
        async with engine.begin() as conn:
            task_id = await insert_running_task(conn, model="embedding", total=6, chunks=2)
            await vector_writes.store(conn, task_id, [0, 1, 2, 3], sent[:4].tolist())
        # row 3 again: the whole write fails
        with pytest.raises(IntegrityError, match="UniqueViolation"):
            async with engine.begin() as conn:
                await vector_writes.store(conn, task_id, [3, 4], sent[[0, 4]].tolist())
        async with engine.begin() as conn:
            await vector_writes.store(conn, task_id, [4, 5], sent[[4, 5]].tolist())
        async with engine.connect() as conn:
            vectors = await stored(conn, task_id)
    finally:
        await engine.dispose()
    assert list(vectors) == [0, 1, 2, 3, 4, 5]
    for row, vector in vectors.items():
        np.testing.assert_allclose(vector, sent[row], rtol=1e-6)


async def test_a_rolled_back_chunk_leaves_no_vector(migrated_db):
    engine = make_engine(migrated_db)
    vector = np.ones((1, 384), dtype=np.float32).tolist()
    try:
        async with engine.begin() as conn:
            task_id = await insert_running_task(conn, model="embedding", total=6, chunks=2)
        async with engine.connect() as conn:
            transaction = await conn.begin()
            await vector_writes.store(conn, task_id, [0], vector)
            await transaction.rollback()
            assert await stored(conn, task_id) == {}
    finally:
        await engine.dispose()
