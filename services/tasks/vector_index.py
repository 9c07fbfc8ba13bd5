"""One partial HNSW index per finished embedding task, built after the task is ready.

Why one index per task rather than one over the whole table with `WHERE task_id = …`:
pgvector (0.6) filters an HNSW scan after the fact, so one shared index returns the
ef_search nearest vectors of *every* task and then drops the other tasks' — with many tasks
a search finds fewer than k rows and recall falls apart. A partial index holds only the
task's own vectors, so its recall is that of HNSW alone (measured ≥ 0.95 @10 in make bench).

The build runs outside any transaction (CREATE INDEX CONCURRENTLY), so other tasks' chunks
keep writing vectors meanwhile. A build cut short by a crash leaves an invalid index, which
the next build drops first; until an index exists, a search is exact (slower, never wrong).
Small tasks get none: an exact scan of a few thousand vectors is quick, and every index on
the table costs each insert a predicate check.
"""

import asyncio
import uuid

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)

M, EF_CONSTRUCTION = 16, 64  # pgvector's defaults: recall ≥ 0.95 @10 with ef_search 64
# The graph of 100,000 vectors (~200 MB) fits in this, so the build does not spill to a
# slower on-disk phase; only the building session gets it, for the build's length.
BUILD_MEMORY = "256MB"


def index_name(task_id: uuid.UUID) -> str:
    return f"ix_task_vectors_hnsw_{task_id.hex}"


def task_predicate(task_id: uuid.UUID) -> str:
    """`task_id = '<uuid>'` as a literal: the planner matches a partial index only against
    constants, never a bound parameter of a generic plan. A UUID's text is safe to inline."""
    return f"task_id = '{uuid.UUID(str(task_id))}'::uuid"


class VectorIndexes:
    def __init__(self, engine: AsyncEngine, min_rows: int) -> None:
        self._engine = engine
        self._min_rows = min_rows
        self._building: dict[uuid.UUID, asyncio.Task[None]] = {}

    async def state(self, task_id: uuid.UUID) -> bool | None:
        """True: a valid index; False: one cut short; None: none."""
        query = text(
            "SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'tasks' AND c.relname = :name"
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query, {"name": index_name(task_id)})).first()
        return None if row is None else bool(row[0])

    def ensure_soon(self, task_id: uuid.UUID) -> None:
        """Build in the background (once per process at a time); errors are logged."""
        running = self._building.get(task_id)
        if running is not None and not running.done():
            return
        self._building[task_id] = asyncio.create_task(self._ensure_logged(task_id))

    async def _ensure_logged(self, task_id: uuid.UUID) -> None:
        try:
            await self.ensure(task_id)
        except Exception:
            log.exception("vector index build failed", task_id=str(task_id))
        finally:
            self._building.pop(task_id, None)

    async def ensure(self, task_id: uuid.UUID) -> bool:
        """Build the task's index unless it exists or the task is small; True if built now."""
        state = await self.state(task_id)
        if state:
            return False
        name = index_name(task_id)
        autocommit = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        async with autocommit.connect() as conn:
            count = await conn.execute(
                text(
                    "SELECT count(*) FROM tasks.task_vectors WHERE "  # noqa: S608
                    + task_predicate(task_id)
                )
            )
            if int(count.scalar_one()) < max(1, self._min_rows):
                return False
            if state is False:
                await conn.execute(text(f"DROP INDEX CONCURRENTLY IF EXISTS tasks.{name}"))
            await conn.execute(text(f"SET maintenance_work_mem = '{BUILD_MEMORY}'"))
            try:
                await conn.execute(
                    text(
                        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON tasks.task_vectors"
                        f" USING hnsw (embedding vector_cosine_ops)"
                        f" WITH (m = {M}, ef_construction = {EF_CONSTRUCTION})"
                        f" WHERE {task_predicate(task_id)}"
                    )
                )
            finally:  # the pooled connection goes back with the server's default
                await conn.execute(text("RESET maintenance_work_mem"))
            # Fresh statistics: with the task's rows just written, the planner's old counts can
            # make a sequential scan look cheaper than the new index.
            await conn.execute(text("ANALYZE tasks.task_vectors"))
        log.info("vector index built", task_id=str(task_id))
        return True

    async def close(self) -> None:
        for running in list(self._building.values()):
            running.cancel()
        await asyncio.gather(*self._building.values(), return_exceptions=True)
