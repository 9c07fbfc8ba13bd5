"""All SQL of the tasks service. Queries a user can reach are scoped to the task's owner.

Status changes go through `transition`, whose WHERE holds the allowed source statuses from
domain.sources(): a change that lost a race (e.g. cancel vs. the last chunk) updates nothing.
"""

import uuid
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    BindParameter,
    Insert,
    Integer,
    Select,
    Update,
    any_,
    bindparam,
    case,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inferlane.common.db import stream_rows
from inferlane.common.pagination import Cursor, after_cursor
from inferlane.common.sql_rows import param_rows, row_params
from services.tasks import domain, result_writes, vector_writes
from services.tasks.domain import (
    ACTIVE,
    BatchSummary,
    Chunk,
    DeadLetter,
    Progress,
    Result,
    Status,
    Task,
    TaskType,
)
from services.tasks.tables import (
    EMBEDDING_DIMENSIONS,
    dead_letters,
    task_chunks,
    task_label_counts,
    task_results,
    tasks,
)


def _task(row: Any) -> Task:
    return Task(
        id=row.id,
        owner_id=row.owner_id,
        type=TaskType(row.type),
        model=row.model,
        status=Status(row.status),
        progress=Progress(row.done, row.total, row.failed, row.started_at),
        input=row.input,
        dataset_id=row.dataset_id,
        column=row.column_name,
        row_limit=row.row_limit,
        labels=list(row.labels),
        input_columns=list(row.input_columns),
        summary=row.summary,
        error_code=row.error_code,
        error_message=row.error_message,
        created_at=row.created_at,
        queued_at=row.queued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        version=row.version,
        label_column=row.label_column,
        id_column=row.id_column,
        expires_at=row.expires_at,
        expired_at=row.expired_at,
        dataset_name=row.dataset_name,
        callback_url=row.callback_url,
    )


def _result(row: Any) -> Result:
    """A row selected as `_RESULT_READ` (Result's fields, in order) as a Result: by position,
    a name lookup per field was a tenth of a million-row export's CPU."""
    return Result._make(row)


def _task_insert(values: dict[str, Any], max_active: int | None) -> Insert:
    """The task's INSERT. With `max_active`, only while its owner has fewer unfinished tasks
    than that, counted in the INSERT itself (one round trip less than asking first): it then
    inserts nothing when the owner has that many already."""
    if max_active is None:
        return insert(tasks).values(**values)
    row = select(*[literal(v, tasks.c[k].type).label(k) for k, v in values.items()])
    return insert(tasks).from_select(
        list(values), row.where(_active(values["owner_id"]) < max_active)
    )


def _active(owner_id: Any) -> Any:
    """How many unfinished tasks the owner has, as a scalar subquery."""
    return (
        select(func.count())
        .where(tasks.c.owner_id == owner_id, tasks.c.status.in_([s.value for s in ACTIVE]))
        .scalar_subquery()
    )


async def insert_task(
    conn: AsyncConnection,
    values: dict[str, Any],
    chunks: Sequence[Chunk],
    *,
    max_active: int | None = None,
) -> Task | None:
    """The task and its chunks (None: the owner has `max_active` unfinished tasks)."""
    found = (await conn.execute(_task_insert(values, max_active).returning(*tasks.c))).first()
    if found is None:
        return None
    if chunks:
        await conn.execute(
            insert(task_chunks),
            [
                {
                    "task_id": c.task_id,
                    "chunk_index": c.index,
                    "start_row": c.start,
                    "end_row": c.end,
                }
                for c in chunks
            ],
        )
    return _task(found)


# Built once per shape (the columns given, the number of chunks, the riders' kind): building
# such a statement costs more CPU than the round trips it saves (inferlane.common.sql_rows).
_CREATE_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}
CHUNK_COLUMNS = [("chunk_index", Integer()), ("start_row", BigInteger()), ("end_row", BigInteger())]


async def insert_task_with(
    conn: AsyncConnection,
    values: dict[str, Any],
    chunks: Sequence[Chunk],
    riders: Callable[[CTE], Sequence[Insert]],
    rider_params: dict[str, Any],
    *,
    shape: Hashable,
    max_active: int,
) -> Task | None:
    """`insert_task` and the rows `riders` writes for the new task (its trail entry, its
    events: INSERTs from the task's CTE, so they write nothing when it inserts nothing) as
    one statement: one round trip, atomic without a transaction (a single task's creation
    was six). `riders` builds from bind parameters only, given by `rider_params`; `shape`
    tells statements built by different riders apart. For a few chunks: each chunk's
    values are parameters too."""
    key = (tuple(values), len(chunks), shape)
    stmt = _CREATE_STATEMENTS.get(key)
    if stmt is None:
        stmt = _CREATE_STATEMENTS[key] = _insert_task_with(tuple(values), len(chunks), riders)
    params = {f"task_{k}": v for k, v in values.items()} | {"max_active": max_active}
    params |= row_params("chunk", CHUNK_COLUMNS, [(c.index, c.start, c.end) for c in chunks])
    found = (await conn.execute(stmt, params | rider_params)).first()
    return _task(found) if found is not None else None


def _insert_task_with(
    columns: tuple[str, ...], chunk_count: int, riders: Callable[[CTE], Sequence[Insert]]
) -> Select[Any]:
    row = select(*[bindparam(f"task_{k}", type_=tasks.c[k].type).label(k) for k in columns])
    owner = bindparam("task_owner_id", type_=tasks.c.owner_id.type)
    insert_task = insert(tasks).from_select(
        list(columns), row.where(_active(owner) < bindparam("max_active", type_=Integer()))
    )
    new = insert_task.returning(*tasks.c).cte("new_task")
    statements = list(riders(new))
    if chunk_count:
        rows = param_rows("chunk", CHUNK_COLUMNS, chunk_count)
        statements.append(
            insert(task_chunks).from_select(
                ["task_id", "chunk_index", "start_row", "end_row"],
                select(new.c.id, rows.c.chunk_index, rows.c.start_row, rows.c.end_row).select_from(
                    new.join(rows, true())
                ),
            )
        )
    return select(new).add_cte(*[s.cte(f"rider_{i}") for i, s in enumerate(statements)])


def task_to_be(values: dict[str, Any]) -> Task:
    """The task that `values` will insert, as RETURNING would give it, before it exists: for
    what must be written in the same statement (its events' payloads)."""
    defaults = {c.name: None for c in tasks.c} | {
        "done": 0,
        "failed": 0,
        "chunks_done": 0,
        "labels": [],
        "input_columns": [],
    }
    return _task(SimpleNamespace(**(defaults | values)))


async def get(
    conn: AsyncConnection, task_id: uuid.UUID, *, for_update: bool = False
) -> Task | None:
    stmt = select(tasks).where(tasks.c.id == task_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await conn.execute(stmt)).first()
    return _task(row) if row else None


# What a watcher compares between two looks: one statement for every watched task at once.
_STATES = select(tasks.c.id, tasks.c.status, tasks.c.done, tasks.c.failed).where(
    tasks.c.id == any_(bindparam("ids", type_=postgresql.ARRAY(tasks.c.id.type)))
)


async def states(
    conn: AsyncConnection, task_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, int, int]]:
    """(status, done, failed) of each of `task_ids` that still exists."""
    rows = await conn.execute(_STATES, {"ids": list(task_ids)})
    return {r.id: (r.status, r.done, r.failed) for r in rows}


async def get_owned(conn: AsyncConnection, owner_id: uuid.UUID, task_id: uuid.UUID) -> Task | None:
    stmt = select(tasks).where(tasks.c.id == task_id, tasks.c.owner_id == owner_id)
    row = (await conn.execute(stmt)).first()
    return _task(row) if row else None


async def find_by_idempotency_key(
    conn: AsyncConnection, owner_id: uuid.UUID, key: str
) -> tuple[Task, str] | None:
    stmt = select(tasks).where(tasks.c.owner_id == owner_id, tasks.c.idempotency_key == key)
    row = (await conn.execute(stmt)).first()
    return (_task(row), row.request_hash) if row else None


async def list_owned(
    conn: AsyncConnection,
    owner_id: uuid.UUID,
    limit: int,
    cursor: Cursor | None,
    status: Status | None,
    model: str | None,
    dataset_id: uuid.UUID | None = None,
) -> list[Task]:
    after = after_cursor(tasks.c.created_at, tasks.c.id, cursor)
    stmt = select(tasks).where(tasks.c.owner_id == owner_id, after)
    if status is not None:
        stmt = stmt.where(tasks.c.status == status.value)
    if model:
        stmt = stmt.where(tasks.c.model == model)
    if dataset_id is not None:
        stmt = stmt.where(tasks.c.dataset_id == dataset_id)
    stmt = stmt.order_by(tasks.c.created_at.desc(), tasks.c.id.desc()).limit(limit)
    return [_task(r) for r in await conn.execute(stmt)]


async def transition(
    conn: AsyncConnection,
    task_ids: Sequence[uuid.UUID],
    target: Status,
    **values: Any,
) -> list[Task]:
    """Move the tasks that may enter `target` there; returns those that moved."""
    if not task_ids:
        return []
    return [_task(r) for r in await conn.execute(transition_statement(task_ids, target, **values))]


def transition_statement(
    task_ids: Sequence[uuid.UUID] | BindParameter[Any], target: Status, **values: Any
) -> Update:
    """`transition`'s UPDATE … RETURNING, for a caller that sends it with more (a CTE)."""
    stamp = domain.TIMESTAMP_OF.get(target)
    if stamp is not None:  # the caller's instant when it gives one, else the database's
        values[stamp] = func.coalesce(tasks.c[stamp], values.get(stamp, func.now()))
    if target is Status.RUNNING:  # a worker may win the race with the relay's `queued`
        values["queued_at"] = func.coalesce(tasks.c.queued_at, func.now())
    return (
        update(tasks)
        .where(
            tasks.c.id.in_(task_ids),
            tasks.c.status.in_([s.value for s in domain.sources(target)]),
        )
        .values(status=target.value, **values)
        .returning(*tasks.c)
    )


async def task_and_chunk(
    conn: AsyncConnection, task_id: uuid.UUID, index: int
) -> tuple[Task, Chunk, bool] | None:
    """The task, one of its chunks, and whether that chunk is completed: one round trip."""
    c = task_chunks.c
    stmt = (
        select(tasks, c.start_row, c.end_row, c.completed_at.is_not(None).label("completed"))
        .join(task_chunks, c.task_id == tasks.c.id)
        .where(c.task_id == task_id, c.chunk_index == index)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    return _task(row), Chunk(task_id, index, row.start_row, row.end_row), row.completed


async def incomplete_chunks(conn: AsyncConnection, task_id: uuid.UUID) -> list[Chunk]:
    stmt = (
        select(task_chunks)
        .where(task_chunks.c.task_id == task_id, task_chunks.c.completed_at.is_(None))
        .order_by(task_chunks.c.chunk_index)
    )
    return [Chunk(task_id, r.chunk_index, r.start_row, r.end_row) for r in await conn.execute(stmt)]


async def complete_chunk(
    conn: AsyncConnection,
    chunk: Chunk,
    results: Sequence[Result],
    *,
    store_vectors: bool = False,
    entry: Insert | None = None,
) -> tuple[Task, bool] | None:
    """Store a chunk's results and count it, once: a redelivered chunk finds completed_at set,
    a chunk of a task that ended meanwhile finds the task ended, and neither changes anything
    (None is returned). Returns the task with its new counters, and
    whether every chunk of it is counted now. With `store_vectors`, embeddings also go to
    task_vectors, in the same transaction: one vector per row, whatever is redelivered.
    `entry`, an audit INSERT, rides with the counters' UPDATE (a CTE): no round trip of its own."""
    if not await store_chunk(conn, chunk, results, store_vectors=store_vectors):
        return None
    await _count_labels(conn, chunk.task_id, results)
    return await count_chunk(conn, chunk.task_id, results, entry)


async def store_chunk(
    conn: AsyncConnection, chunk: Chunk, results: Sequence[Result], *, store_vectors: bool = False
) -> bool:
    """Claim the chunk and store its results (see complete_chunk); False when it was stored
    already or its task ended, and then nothing is written."""
    live = select(tasks.c.id).where(
        tasks.c.id == chunk.task_id, tasks.c.status.in_([s.value for s in ACTIVE])
    )
    claimed = await conn.execute(
        update(task_chunks)
        .where(
            task_chunks.c.task_id == chunk.task_id,
            task_chunks.c.chunk_index == chunk.index,
            task_chunks.c.completed_at.is_(None),
            # A chunk still in flight when its task was cancelled (or failed) is dropped.
            live.exists(),
        )
        .values(completed_at=func.now())
    )
    if claimed.rowcount == 0:
        return False
    if results:
        await result_writes.store(conn, chunk.task_id, results)
        if store_vectors and (vectors := _vectors(results)):
            await vector_writes.store(conn, chunk.task_id, list(vectors), list(vectors.values()))
    return True


async def _count_labels(
    conn: AsyncConnection, task_id: uuid.UUID, results: Sequence[Result]
) -> None:
    """A batch's per-label counts (its live summary); a single task's is its summary."""
    counts: dict[str, int] = {}
    for r in results:
        if r.label is not None and r.error_code is None:
            counts[r.label] = counts.get(r.label, 0) + 1
    if not counts:
        return
    stmt = pg_insert(task_label_counts)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[task_label_counts.c.task_id, task_label_counts.c.label],
            set_={"count": task_label_counts.c.count + stmt.excluded.count},
        ),
        # In label order: chunks of one task committing at once take the rows' locks in
        # the same order, so they wait for each other instead of deadlocking.
        [{"task_id": task_id, "label": k, "count": counts[k]} for k in sorted(counts)],
    )


def _counted(results: Sequence[Result]) -> dict[str, Any]:
    failed = sum(1 for r in results if r.error_code is not None)
    return {
        "done": tasks.c.done + len(results),
        "failed": tasks.c.failed + failed,
        "chunks_done": tasks.c.chunks_done + 1,
    }


async def count_chunk(
    conn: AsyncConnection,
    task_id: uuid.UUID,
    results: Sequence[Result],
    entry: Insert | None = None,
) -> tuple[Task, bool]:
    """Add a stored chunk to its task's counters, whatever the task's status: the task now,
    and whether every chunk of it is counted. `entry` is sent with it, as a CTE."""
    stmt = update(tasks).where(tasks.c.id == task_id).values(**_counted(results))
    if entry is not None:
        stmt = stmt.add_cte(entry.cte("entry"))
    row = (await conn.execute(stmt.returning(*tasks.c))).one()
    return _task(row), row.chunks_done >= row.chunks_total


_FINISH_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


async def finish_single(
    conn: AsyncConnection,
    chunk: Chunk,
    results: Sequence[Result],
    started_at: datetime,
    summary: dict[str, Any] | None,
    riders: Callable[[CTE], Sequence[Insert]],
    rider_params: dict[str, Any],
    *,
    shape: Hashable,
) -> Task | None:
    """A single task's one chunk claimed, its results stored, the task counted and READY,
    and what `riders` writes from the task as it is now (its trail entries, its event), as
    one statement: one round trip, atomic without a transaction (it was eight). `riders`
    builds from bind parameters only (`rider_params`); `shape` tells them apart.

    None when the chunk was stored already or its task had ended: then nothing is written.
    A task that ends (a cancel) while this runs is only counted: its status stays. Its
    `queued_at`, when no relay has marked it yet, is `started_at` (a rider tells that case
    by the equal stamps). `running` is never visible: the task passes to READY at once."""
    key = (len(results), shape)
    stmt = _FINISH_STATEMENTS.get(key)
    if stmt is None:
        stmt = _FINISH_STATEMENTS[key] = _finish_single(len(results), riders)
    failed = sum(1 for r in results if r.error_code is not None)
    params = {
        "finish_task_id": chunk.task_id,
        "finish_chunk_index": chunk.index,
        "finish_started_at": started_at,
        "finish_summary": summary,
        "finish_rows": len(results),
        "finish_failed": failed,
    }
    params |= row_params("result", RESULT_COLUMNS, results)
    row = (await conn.execute(stmt, params | rider_params)).first()
    return _task(row) if row else None


def _finish_single(result_count: int, riders: Callable[[CTE], Sequence[Insert]]) -> Select[Any]:
    # Parameter names must not be column names of a table this statement UPDATEs: run with
    # a dict, SQLAlchemy takes such a key for a SET value of that UPDATE.
    active = tasks.c.status.in_([literal_column(f"'{s.value}'") for s in ACTIVE])
    task_id = bindparam("finish_task_id", type_=tasks.c.id.type)
    live = select(tasks.c.id).where(tasks.c.id == task_id, active)
    claimed = (
        update(task_chunks)
        .where(
            task_chunks.c.task_id == task_id,
            task_chunks.c.chunk_index == bindparam("finish_chunk_index", type_=Integer()),
            task_chunks.c.completed_at.is_(None),
            live.exists(),  # a chunk still in flight when its task was cancelled is dropped
        )
        .values(completed_at=func.now())
        .returning(task_chunks.c.task_id)
        .cte("claimed")
    )
    statements: list[Insert] = []
    if result_count:
        statements.append(_results_from(claimed, result_count))

    def if_active(value: Any, otherwise: Any) -> Any:  # SET sees the row as it was
        return case((active, value), else_=otherwise)

    started_at = bindparam("finish_started_at", type_=tasks.c.started_at.type)
    summary = bindparam("finish_summary", type_=tasks.c.summary.type)
    moved = (
        update(tasks)
        .where(tasks.c.id.in_(select(claimed.c.task_id)))
        .values(
            status=if_active(literal_column(f"'{Status.READY.value}'"), tasks.c.status),
            summary=if_active(summary, tasks.c.summary),
            queued_at=if_active(func.coalesce(tasks.c.queued_at, started_at), tasks.c.queued_at),
            started_at=if_active(func.coalesce(tasks.c.started_at, started_at), tasks.c.started_at),
            finished_at=if_active(
                func.coalesce(tasks.c.finished_at, func.now()), tasks.c.finished_at
            ),
            done=tasks.c.done + bindparam("finish_rows", type_=BigInteger()),
            failed=tasks.c.failed + bindparam("finish_failed", type_=BigInteger()),
            chunks_done=tasks.c.chunks_done + literal_column("1"),
        )
        .returning(*tasks.c)
        .cte("moved")
    )
    statements += riders(moved)
    return select(moved).add_cte(claimed, *[s.cte(f"rider_{i}") for i, s in enumerate(statements)])


# Result's fields, in order: the result columns, written and read by position.
RESULT_COLUMNS: list[tuple[str, Any]] = [
    (name, task_results.c[name].type) for name in Result._fields
]


# What readers of results select: not task_id (they know it; a UUID object per row is not free).
_RESULT_READ = [task_results.c[name] for name, _ in RESULT_COLUMNS]
# A task's results in row order, compiled once for psycopg (stream_results reads through it).
_RESULTS_IN_ORDER = str(
    select(*_RESULT_READ)
    .where(task_results.c.task_id == bindparam("task_id"))
    .order_by(task_results.c.row_index)
    .compile(dialect=psycopg_dialect())
)


def _results_from(claimed: CTE, count: int) -> Insert:
    """The results' INSERT, writing only if `claimed` (the chunk's claim) has a row. Only
    the claiming statement writes a chunk's rows. No ON CONFLICT guard here, unlike
    store_chunk: SQLAlchemy cannot cache a statement holding one; a conflict would fail
    the statement, and nothing else would be written, which is still correct."""
    rows = param_rows("result", RESULT_COLUMNS, count)
    names = [name for name, _ in RESULT_COLUMNS]
    return insert(task_results).from_select(
        ["task_id", *names],
        select(claimed.c.task_id, *[rows.c[n] for n in names]).select_from(
            claimed.join(rows, true())
        ),
    )


def _vectors(results: Sequence[Result]) -> dict[int, list[float]]:
    """The searchable embeddings of a chunk by row: rows that succeeded (a failed row has none)."""
    out = {}
    for r in results:
        vector = (r.raw or {}).get("vector") if r.error_code is None else None
        if isinstance(vector, list) and len(vector) == EMBEDDING_DIMENSIONS:
            out[r.row_index] = vector
    return out


async def batch_summary(conn: AsyncConnection, task: Task) -> BatchSummary:
    stmt = select(task_label_counts.c.label, task_label_counts.c.count).where(
        task_label_counts.c.task_id == task.id
    )
    counts = {label: 0 for label in task.labels}
    counts.update({label: int(n) for label, n in (await conn.execute(stmt)).tuples()})
    return BatchSummary(counts=counts, failed=task.progress.failed)


async def results_page(
    conn: AsyncConnection, task_id: uuid.UUID, after_row: int, limit: int
) -> list[Result]:
    stmt = (
        select(*_RESULT_READ)
        .where(task_results.c.task_id == task_id, task_results.c.row_index > after_row)
        .order_by(task_results.c.row_index)
        .limit(limit)
    )
    return [_result(r) for r in await conn.execute(stmt)]


async def stream_results(
    engine: AsyncEngine, task_id: uuid.UUID, batch: int = 250
) -> AsyncIterator[list[Result]]:
    """Every result in row order, a batch at a time (memory stays at one batch; a row at a
    time costs an await per row, which a million-row export feels). 250 rows, not 1,000: the
    export's first piece leaves sooner and the gateway relays while the next batch is read,
    and a smaller batch stays in cache; bench-scale's export, two alternating pairs: 1.18x
    and 1.17x."""
    params = {"task_id": task_id}
    async for rows in stream_rows(engine, _RESULTS_IN_ORDER, params, Result._make, batch):
        yield rows


async def insert_dead_letter(conn: AsyncConnection, letter: DeadLetter) -> None:
    await conn.execute(
        insert(dead_letters).values(
            id=letter.id,
            task_id=letter.task_id,
            owner_id=letter.owner_id,
            subject=letter.subject,
            payload=letter.payload,
            delivery_count=letter.delivery_count,
            reason=letter.reason,
        )
    )


def _dead_letter(row: Any) -> DeadLetter:
    return DeadLetter(
        row.id,
        row.task_id,
        row.owner_id,
        row.subject,
        row.payload,
        row.delivery_count,
        row.reason,
        row.dead_at,
        row.replayed_at,
    )


async def list_dead_letters(
    conn: AsyncConnection, limit: int, cursor: Cursor | None
) -> list[DeadLetter]:
    after = after_cursor(dead_letters.c.dead_at, dead_letters.c.id, cursor)
    stmt = (
        select(dead_letters)
        .where(after)
        .order_by(dead_letters.c.dead_at.desc(), dead_letters.c.id.desc())
        .limit(limit)
    )
    return [_dead_letter(r) for r in await conn.execute(stmt)]


async def get_dead_letter(conn: AsyncConnection, letter_id: uuid.UUID) -> DeadLetter | None:
    stmt = select(dead_letters).where(dead_letters.c.id == letter_id).with_for_update()
    row = (await conn.execute(stmt)).first()
    return _dead_letter(row) if row else None


async def mark_replayed(conn: AsyncConnection, task_id: uuid.UUID, when: datetime) -> None:
    """Every dead letter of the task: a replay resumes the whole task, not one chunk."""
    await conn.execute(
        update(dead_letters)
        .where(dead_letters.c.task_id == task_id, dead_letters.c.replayed_at.is_(None))
        .values(replayed_at=when)
    )
