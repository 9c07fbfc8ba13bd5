"""SQL over task_vectors: a row's vector and the nearest rows to a vector.

Cosine distance (`<=>`) orders the rows; similarity is 1 - distance. The unfiltered search
orders by the distance itself, which the task's partial HNSW index answers (see
vector_index.py); a label filter orders by similarity, which no index answers: that scan is
exact, so a selective filter still finds its k rows.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.tasks.vector_index import task_predicate

EF_SEARCH_MIN = 64  # candidates HNSW keeps while it searches; recall ≥ 0.95 @10 in make bench


@dataclass(frozen=True)
class Near:
    row_index: int
    similarity: float
    input: dict[str, Any]


@dataclass(frozen=True)
class LabelFilter:
    task_id: uuid.UUID
    labels: Sequence[str]


def literal(vector: Sequence[float]) -> str:
    """pgvector's text form, bound as a parameter and cast to vector."""
    return "[" + ",".join(format(float(x), ".9g") for x in vector) + "]"


async def row_vector(conn: AsyncConnection, task_id: uuid.UUID, row_index: int) -> str | None:
    stmt = text(
        "SELECT embedding::text FROM tasks.task_vectors WHERE task_id = :task AND row_index = :row"
    )
    row = (await conn.execute(stmt, {"task": task_id, "row": row_index})).first()
    return None if row is None else str(row[0])


async def nearest(
    conn: AsyncConnection,
    task_id: uuid.UUID,
    query: str,
    k: int,
    *,
    exclude_row: int | None = None,
    min_similarity: float | None = None,
    labels: LabelFilter | None = None,
) -> list[Near]:
    """Up to k rows most similar to `query` (pgvector text), most similar first. Run it in a
    transaction: the HNSW setting is local to it."""
    limit = k + (1 if exclude_row is not None else 0)
    ef_search = min(1000, max(EF_SEARCH_MIN, 2 * limit))
    await conn.execute(text(f"SET LOCAL hnsw.ef_search = {int(ef_search)}"))
    params: dict[str, Any] = {
        "task": task_id,
        "q": query,
        "limit": limit,
        "exclude": -1 if exclude_row is None else exclude_row,
        "min": -2.0 if min_similarity is None else min_similarity,
    }
    if labels is None:
        stmt = BY_INDEX.format(task=task_predicate(task_id))
    else:
        stmt = BY_LABEL.format(task="v." + task_predicate(task_id))
        params |= {"label_task": labels.task_id, "labels": list(labels.labels)}
    found = await conn.execute(text(stmt), params)
    return [Near(r.row_index, float(r.similarity), r.input) for r in found][:k]


# The task's predicate is a literal (see task_predicate) so the planner can use its index.
BY_INDEX = """
WITH nearest AS MATERIALIZED (
    SELECT row_index, embedding <=> CAST(:q AS vector) AS distance
    FROM tasks.task_vectors
    WHERE {task}
    ORDER BY embedding <=> CAST(:q AS vector)
    LIMIT :limit
)
SELECT n.row_index, 1 - n.distance AS similarity, r.input
FROM nearest n
JOIN tasks.task_results r ON r.task_id = :task AND r.row_index = n.row_index
WHERE n.row_index <> :exclude AND 1 - n.distance >= :min
ORDER BY n.distance, n.row_index
"""

BY_LABEL = """
SELECT v.row_index, 1 - (v.embedding <=> CAST(:q AS vector)) AS similarity, r.input
FROM tasks.task_vectors v
JOIN tasks.task_results l
  ON l.task_id = :label_task AND l.row_index = v.row_index AND l.label = ANY(:labels)
JOIN tasks.task_results r ON r.task_id = :task AND r.row_index = v.row_index
WHERE {task} AND v.row_index <> :exclude
  AND 1 - (v.embedding <=> CAST(:q AS vector)) >= :min
ORDER BY similarity DESC, v.row_index
LIMIT :limit
"""
