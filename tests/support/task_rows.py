"""A task row written straight into tasks.tasks, for tests of one repository-level piece
(vector writes, the watcher) that need a task to exist and nothing else of the platform."""

import uuid

from sqlalchemy import text


async def insert_running_task(
    conn, *, type_: str = "batch", model: str = "sentiment", total: int = 1, chunks: int = 1
) -> uuid.UUID:
    task_id = uuid.uuid4()
    await conn.execute(
        text(
            "INSERT INTO tasks.tasks (id, owner_id, type, model, status, column_name, total,"
            " done, chunks_total, chunks_done) VALUES (:t, :o, :type, :model, 'running',"
            " :column, :total, 0, :chunks, 0)"
        ),
        {
            "t": task_id,
            "o": uuid.uuid4(),
            "type": type_,
            "model": model,
            "column": "review" if type_ == "batch" else None,
            "total": total,
            "chunks": chunks,
        },
    )
    return task_id
