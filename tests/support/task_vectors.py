"""The vectors an embedding task stored, read straight from PostgreSQL."""

import psycopg


async def vector_rows(db: str, task_id: str) -> list[int]:
    async with await psycopg.AsyncConnection.connect(db) as conn:
        found = await conn.execute(
            "SELECT row_index FROM tasks.task_vectors WHERE task_id = %s ORDER BY row_index",
            [task_id],
        )
        return [r[0] for r in await found.fetchall()]
