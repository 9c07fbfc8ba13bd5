"""A chunk's embeddings into task_vectors in PostgreSQL's binary COPY format.

Why not an INSERT of each row: pgvector's SQLAlchemy type sends a vector as text, and writing
384 floats with `str()` in Python cost the worker as much again as the rest of the chunk's
write (measured: storing vectors halved an embedding task's rows/s). Here numpy turns the
whole chunk into big-endian float4 at once and one COPY carries it.

Exactly once: the caller's transaction is the one that claimed the chunk (completed_at set,
repository.store_chunk), and only a claiming transaction writes a chunk's rows, so the COPY
goes straight into task_vectors. A row already there would mean the claim failed to guard
it: the primary key then fails the transaction rather than store a row twice. (Until
2026-12-06 the rows went through a temporary table and `INSERT … ON CONFLICT DO NOTHING`, a
second pass over every vector: storing ÷ not storing 0.94x on a quiet machine before.)
"""

import struct
import uuid
from collections.abc import Sequence

import numpy as np
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.db import copy_in

# PostgreSQL's binary COPY framing: signature, flags, header extension length … trailer.
_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
# Per row: 3 fields; uuid (16 bytes); int8; vector (int16 dim, int16 unused, float4 per dim).
_ROW_HEAD = struct.Struct(">hi16siqihh")

_COPY = "COPY tasks.task_vectors (task_id, row_index, embedding) FROM STDIN (FORMAT BINARY)"


def copy_data(task_id: uuid.UUID, rows: Sequence[int], vectors: Sequence[Sequence[float]]) -> bytes:
    """The binary COPY stream of (task_id, row_index, embedding) rows, one vector per row."""
    floats = np.asarray(vectors, dtype=">f4")
    dims = floats.shape[1]
    parts = [_SIGNATURE]
    for row_index, vector in zip(rows, floats, strict=True):
        parts.append(_ROW_HEAD.pack(3, 16, task_id.bytes, 8, row_index, 4 + 4 * dims, dims, 0))
        parts.append(vector.tobytes())
    parts.append(_TRAILER)
    return b"".join(parts)


async def store(
    conn: AsyncConnection,
    task_id: uuid.UUID,
    rows: Sequence[int],
    vectors: Sequence[Sequence[float]],
) -> None:
    """Store each row's vector in `conn`'s transaction, the one that claimed the chunk."""
    if not rows:
        return
    data = copy_data(task_id, rows, vectors)
    async with copy_in(conn, _COPY) as copy:
        await copy.write(data)
