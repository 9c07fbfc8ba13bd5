"""The rules of tasks: creation (validation, idempotency, back-pressure), reading, cancelling,
results, exports, live updates and dead letters.

No gRPC here: the servicer calls it with the caller's user id, and every lookup is scoped to
that owner, so another user's task is simply not found. A task and its work messages are
written in one transaction with the outbox; the relay puts them on the queue.
"""

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, Insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import Clock, utc_now
from inferlane.common.db import autocommit
from inferlane.common.errors import INVALID_INPUT, Conflict, InvalidInput, NotFound, TooMany
from inferlane.common.outbox import enqueue_many, enqueue_with, event_params
from inferlane.common.pagination import Cursor, Page, Position, page
from services.tasks import (
    audit,
    batch_shape,
    evaluation,
    exports,
    lifecycle,
    messages,
    metrics,
    repository,
    retention,
)
from services.tasks.domain import (
    BatchSummary,
    Chunk,
    DeadLetter,
    Progress,
    Result,
    Status,
    Task,
    TaskType,
    plan_chunks,
)
from services.tasks.evaluation import Evaluation
from services.tasks.models import CLASSIFICATION, ModelInfo, row_problem
from services.tasks.peers import DatasetInfo, Peers
from services.tasks.rate import SharedRateLimiter
from services.tasks.specs import BatchSpec, SingleSpec, fingerprint, parse_id
from services.tasks.tables import outbox
from services.tasks.watch import Watcher

MAX_RESULTS_PAGE = 100
# A task with at most this many chunks (a single task has one; 64 chunks are 16,384 rows at
# the default chunk size) is created in one statement: each chunk is bind parameters of it.
ONE_STATEMENT_CHUNKS = 64


@dataclass(frozen=True)
class Limits:
    chunk_rows: int = 256  # text models: a row is milliseconds of the model
    numeric_chunk_rows: int = 4096  # tabular models: a row is microseconds
    max_active_per_user: int = 100
    create_rate_per_second: float = 20.0
    create_burst: int = 40
    retry_after_seconds: float = 5.0
    ttl_seconds: int = 30 * 86400  # results kept after creation, unless the task asks
    max_ttl_seconds: int = 365 * 86400

    def chunk_rows_for(self, model: ModelInfo) -> int:
        """Chunks of a few seconds of work at most: progress and a crash's redo stay fine for
        a text model, and a cheap tabular row does not pay a whole chunk's read, statements
        and ack per 256 rows (4,096-row chunks: 1.25-1.49x the rows/s, docs/benchmarks.md)."""
        return self.chunk_rows if model.is_text else self.numeric_chunk_rows


@dataclass(frozen=True)
class TaskView:
    """A task as callers see it: with the live summary of a batch."""

    task: Task
    batch: BatchSummary | None
    evaluation: Evaluation | None = None


class TasksService:
    def __init__(
        self,
        engine: AsyncEngine,
        peers: Peers,
        watcher: Watcher,
        limits: Limits = Limits(),
        *,
        clock: Clock = utc_now,
        on_event: Callable[[], None] = lambda: None,
        check_callback: Callable[[str], None] = lambda url: None,
    ) -> None:
        self._engine = engine
        # Reads need no transaction of their own (READ COMMITTED gives each statement its
        # snapshot anyway), and without one psycopg sends no BEGIN and no ROLLBACK.
        self._reads = autocommit(engine)
        # And a write that is one statement is atomic by itself: no BEGIN and COMMIT either.
        self._one_statement = self._reads
        self._peers = peers
        self._watcher = watcher
        self._limits = limits
        self._clock = clock
        self._on_event = on_event
        self._check_callback = check_callback  # raises InvalidInput for a refused URL
        self._rate = SharedRateLimiter(
            engine, limits.create_rate_per_second, limits.create_burst, clock
        )

    async def create(
        self,
        owner_id: uuid.UUID,
        spec: SingleSpec | BatchSpec,
        idempotency_key: str | None,
        who: audit.Who = audit.NOBODY,
    ) -> TaskView:
        if spec.callback_url is not None:
            self._check_callback(spec.callback_url)
        await self._rate.take(str(owner_id), "tasks created")
        # Read before the replay check only when the fingerprint needs it (a replay must not
        # depend on the dataset otherwise), and then handed on: one GetDataset per request.
        dataset = None
        if isinstance(spec, BatchSpec) and spec.match_by_content and idempotency_key:
            dataset = await self._peers.dataset(str(parse_id(spec.dataset_id, "dataset")))
        request_hash = fingerprint(spec, dataset.sha256 if dataset else None)
        if idempotency_key:
            if len(idempotency_key) > 255:
                raise InvalidInput(
                    "Idempotency-Key is longer than 255 characters", code=INVALID_INPUT
                )
            replay = await self._replay(owner_id, idempotency_key, request_hash)
            if replay is not None:
                return replay
        model = await self._peers.model(spec.model)
        values = await self._values(owner_id, spec, model, dataset)
        values["callback_url"] = spec.callback_url
        now = self._clock()
        values.update(
            idempotency_key=idempotency_key or None,
            request_hash=request_hash,
            created_at=now,  # from the same clock as expires_at: exactly ttl apart
            expires_at=retention.expires_at(
                now, spec.ttl_seconds, self._limits.ttl_seconds, self._limits.max_ttl_seconds
            ),
        )
        task_id = values["id"]
        chunks = plan_chunks(task_id, values["total"], self._limits.chunk_rows_for(model))
        values["chunks_total"] = len(chunks)
        most = self._limits.max_active_per_user
        try:
            if len(chunks) <= ONE_STATEMENT_CHUNKS:
                task = await self._insert_in_one_statement(values, chunks, now, who, most)
            else:
                task = await self._insert_in_a_transaction(values, chunks, now, who, most)
        except IntegrityError:
            # The same key raced in from a second request; the first one won.
            if idempotency_key and (
                replay := await self._replay(owner_id, idempotency_key, request_hash)
            ):
                return replay
            raise
        if task is None:
            raise TooMany(
                f"you have {most} unfinished tasks; wait for some to finish",
                retry_after=self._limits.retry_after_seconds,
            )
        self._on_event()
        return _new_view(task)

    async def _insert_in_one_statement(
        self,
        values: dict[str, Any],
        chunks: list[Chunk],
        now: datetime,
        who: audit.Who,
        most: int,
    ) -> Task | None:
        """The task, its chunks, its `created` entry and its events (`created`, one work
        message per chunk) as one statement, sent without a transaction: one round trip."""
        to_be = repository.task_to_be(values)
        events = _events(to_be, chunks, now)
        params = audit.entry_params(audit.CREATED, who, **_created_details(to_be, chunks))
        params |= event_params(events)

        def riders(new: CTE) -> list[Insert]:
            return [audit.entry_with(new), enqueue_with(outbox, len(events), new)]

        async with self._one_statement.connect() as conn:
            return await repository.insert_task_with(
                conn, values, chunks, riders, params, shape="created", max_active=most
            )

    async def _insert_in_a_transaction(
        self,
        values: dict[str, Any],
        chunks: list[Chunk],
        now: datetime,
        who: audit.Who,
        most: int,
    ) -> Task | None:
        """As `_insert_in_one_statement`, for a batch with too many chunks to send as one
        statement's parameters: its chunks and events in multi-row INSERTs."""
        async with self._engine.begin() as conn:
            task = await repository.insert_task(conn, values, chunks, max_active=most)
            if task is None:
                return None
            await audit.record(conn, task.id, audit.CREATED, who, **_created_details(task, chunks))
            await enqueue_many(conn, outbox, _events(task, chunks, now))
        return task

    async def _replay(self, owner_id: uuid.UUID, key: str, request_hash: str) -> TaskView | None:
        async with self._reads.connect() as conn:
            found = await repository.find_by_idempotency_key(conn, owner_id, key)
            if found is None:
                return None
            task, first_hash = found
            if first_hash != request_hash:
                raise InvalidInput(
                    "this Idempotency-Key was used with a different request", code=INVALID_INPUT
                )
            return await _view(conn, task)

    async def _values(
        self,
        owner_id: uuid.UUID,
        spec: SingleSpec | BatchSpec,
        model: ModelInfo,
        dataset: DatasetInfo | None,
    ) -> dict[str, Any]:
        base: dict[str, Any] = {
            "id": uuid.uuid4(),
            "owner_id": owner_id,
            "model": model.name,
            "status": Status.ACCEPTED.value,
            "labels": model.labels,
            "version": model.version(spec.version) or None,
        }
        if isinstance(spec, SingleSpec):
            row = {name: spec.input.get(name) for name in model.inputs}
            unknown = sorted(set(spec.input) - set(model.inputs))
            if unknown:
                raise InvalidInput(
                    f"{model.name} takes no input named {unknown[0]!r}", code=INVALID_INPUT
                )
            if problem := row_problem(model, row):
                raise InvalidInput(problem, code=INVALID_INPUT)
            return base | {
                "type": TaskType.SINGLE.value,
                "input": row,
                "input_columns": model.inputs,
                "total": 1,
            }
        if spec.limit is not None and spec.limit < 1:
            raise InvalidInput("limit must be at least 1", code=INVALID_INPUT)
        if dataset is None:
            dataset = await self._peers.dataset(str(parse_id(spec.dataset_id, "dataset")))
        batch_file = batch_shape.is_batch_file(dataset.columns)
        if model.is_text:
            default = batch_shape.BODY_COLUMN if batch_file else dataset.text_column
            column = spec.column or default
            if column is None:
                raise InvalidInput("the dataset has no text column; name one", code=INVALID_INPUT)
            if column not in dataset.columns:
                raise InvalidInput(f"the dataset has no column {column!r}", code=INVALID_INPUT)
            input_columns = [column]
        else:
            if spec.column:
                raise InvalidInput(
                    f"{model.name} reads whole rows; do not name a column", code=INVALID_INPUT
                )
            missing = [name for name in model.inputs if name not in dataset.columns]
            if missing:
                raise InvalidInput(
                    f"the dataset lacks the column {missing[0]!r}", code=INVALID_INPUT
                )
            column, input_columns = None, model.inputs
        if spec.label_column is not None:
            if model.kind != CLASSIFICATION:
                raise InvalidInput(
                    f"{model.name} is not a classifier; only classifiers are evaluated",
                    code=INVALID_INPUT,
                )
            if spec.label_column not in dataset.columns:
                raise InvalidInput(
                    f"the dataset has no label column {spec.label_column!r}", code=INVALID_INPUT
                )
        id_column = spec.id_column or (batch_shape.ID_COLUMN if batch_file else None)
        if id_column is not None and id_column not in dataset.columns:
            raise InvalidInput(f"the dataset has no id column {id_column!r}", code=INVALID_INPUT)
        total = dataset.rows if spec.limit is None else min(dataset.rows, spec.limit)
        if total == 0:
            raise InvalidInput("the dataset has no rows", code=INVALID_INPUT)
        return base | {
            "type": TaskType.BATCH.value,
            "dataset_id": uuid.UUID(dataset.id),
            "dataset_name": dataset.name,
            "column_name": column,
            "row_limit": spec.limit,
            "label_column": spec.label_column,
            "id_column": id_column,
            "input_columns": input_columns,
            "total": total,
        }

    async def get(self, owner_id: uuid.UUID, task_id: str) -> TaskView:
        async with self._reads.connect() as conn:
            task = await self._owned(conn, owner_id, task_id)
            return await _view(conn, task)

    async def _fresh_view(self, task: Task) -> TaskView:
        if task.type is TaskType.SINGLE:
            return TaskView(task, None)  # its summary is in the row: no connection needed
        async with self._reads.connect() as conn:
            return await _view(conn, task)

    async def list_owned(
        self,
        owner_id: uuid.UUID,
        limit: int,
        page_token: str,
        status: Status | None,
        model: str | None,
        dataset_id: str = "",
    ) -> Page[TaskView]:
        dataset = _dataset_filter(dataset_id)
        async with self._reads.connect() as conn:
            found = await page(
                lambda n, after: repository.list_owned(
                    conn, owner_id, n, after, status, model, dataset
                ),
                limit,
                page_token,
            )
            views = [await _view(conn, t) for t in found.items]
        return Page(views, found.next_token)

    async def cancel(
        self, owner_id: uuid.UUID, task_id: str, who: audit.Who = audit.NOBODY
    ) -> TaskView:
        now = self._clock()
        async with self._engine.begin() as conn:
            task = await self._owned(conn, owner_id, task_id)
            if task.is_terminal:
                raise Conflict(f"the task is already {task.status}", code="task_finished")
            cancelled = await lifecycle.cancel(conn, task, now, who)
            if cancelled is None:  # it finished while we looked
                task = await self._owned(conn, owner_id, task_id)
                raise Conflict(f"the task is already {task.status}", code="task_finished")
            view = await _view(conn, cancelled)
        metrics.task_ended(cancelled, now)
        self._on_event()
        await self._watcher.nudge(cancelled)
        return view

    async def results(
        self, owner_id: uuid.UUID, task_id: str, limit: int, page_token: str
    ) -> tuple[Task, Page[Result]]:
        """Paged by row index, first row first."""
        async with self._reads.connect() as conn:
            task = await self._owned(conn, owner_id, task_id)
            retention.check_live(task)
            found = await page(
                lambda n, after: repository.results_page(
                    conn, task.id, after.value if after else -1, n
                ),
                limit,
                page_token,
                key=lambda r: Position(r.row_index),
                decode=Position.decode,
            )
        return task, found

    async def export(
        self, owner_id: uuid.UUID, task_id: str, fmt: str, who: audit.Who = audit.NOBODY
    ) -> tuple[Task, AsyncIterator[bytes]]:
        """The task is checked before the first byte, so a 404 is still a clean error."""
        exports.check_format(fmt)
        async with self._engine.begin() as conn:
            task = await self._owned(conn, owner_id, task_id)
            retention.check_live(task)
            await audit.record(conn, task.id, audit.EXPORTED, who, format=fmt)
        rows = repository.stream_results(self._engine, task.id)
        return task, exports.encode(task, rows, fmt)

    async def watch(self, owner_id: uuid.UUID, task_id: str) -> AsyncIterator[TaskView | Progress]:
        """Checked before the first update, so a foreign id is NOT_FOUND, not an empty stream."""

        async def read() -> Task:
            async with self._reads.connect() as conn:
                return await self._owned(conn, owner_id, task_id)

        updates = self._watcher.follow(parse_id(task_id, "task"), read)
        first = await anext(updates)  # NOT_FOUND is raised here, before the stream starts
        return self._with_summaries(first, updates)

    async def _with_summaries(
        self, first: Task | Progress, rest: AsyncIterator[Task | Progress]
    ) -> AsyncIterator[TaskView | Progress]:
        yield await self._fresh_view(first) if isinstance(first, Task) else first
        async for update in rest:
            if isinstance(update, Task):
                yield await self._fresh_view(update)
            else:
                yield update

    async def list_dead_letters(self, limit: int, page_token: str) -> Page[DeadLetter]:
        """Newest first by (dead_at, id)."""
        async with self._reads.connect() as conn:
            return await page(
                lambda n, after: repository.list_dead_letters(conn, n, after),
                limit,
                page_token,
                key=lambda d: Cursor(d.dead_at, d.id),
                decode=Cursor.decode,
            )

    async def audit_trail(
        self, caller: uuid.UUID, is_admin: bool, task_id: str, limit: int, page_token: str
    ) -> Page[audit.Entry]:
        """A task's trail, oldest first. Admins read any task's; others only their own."""
        async with self._reads.connect() as conn:
            task_uuid = parse_id(task_id, "task")
            found = await (
                repository.get(conn, task_uuid)
                if is_admin
                else repository.get_owned(conn, caller, task_uuid)
            )
            if found is None:
                raise NotFound("no such task")
            return await page(
                lambda n, after: audit.page(conn, task_uuid, after.value if after else 0, n),
                limit,
                page_token,
                key=lambda e: Position(e.seq),
                decode=Position.decode,
            )

    async def replay_dead_letter(self, letter_id: str, who: audit.Who = audit.NOBODY) -> DeadLetter:
        """Resume the letter's task: back to queued, work re-sent for every chunk not yet
        counted (a chunk that did finish is skipped by the worker, so re-sending is safe)."""
        now = self._clock()
        async with self._engine.begin() as conn:
            letter = await repository.get_dead_letter(conn, parse_id(letter_id, "dead letter"))
            if letter is None:
                raise NotFound("no such dead letter")
            task = await repository.get(conn, letter.task_id, for_update=True)
            if task is None:
                raise NotFound("the dead letter's task no longer exists")
            if task.status is Status.ERROR:
                await repository.transition(
                    conn,
                    [task.id],
                    Status.QUEUED,
                    error_code=None,
                    error_message=None,
                    finished_at=None,
                )
            elif task.is_terminal:
                raise Conflict(
                    f"the task is {task.status}; nothing to replay", code="task_finished"
                )
            headers = {messages.TASK_HEADER: str(task.id)}
            chunks = await repository.incomplete_chunks(conn, task.id)
            await repository.mark_replayed(conn, task.id, now)
            await audit.record(conn, task.id, audit.RESUMED, who, dead_letter_id=str(letter.id))
            # The failure released the task's dataset lease; RESUMED takes it again.
            await enqueue_many(
                conn,
                outbox,
                [(messages.WORK, messages.work(task, c, now), headers) for c in chunks]
                + [(messages.RESUMED, messages.resumed(task, now), None)],
            )
            letter = await repository.get_dead_letter(conn, letter.id)
            assert letter is not None
        self._on_event()
        return letter

    async def _owned(self, conn: Any, owner_id: uuid.UUID, task_id: str) -> Task:
        task = await repository.get_owned(conn, owner_id, parse_id(task_id, "task"))
        if task is None:
            raise NotFound("no such task")
        return task


def _dataset_filter(dataset_id: str) -> uuid.UUID | None:
    """A filter, unlike a lookup, is the caller's input to correct: a malformed id is 01."""
    if not dataset_id:
        return None
    try:
        return uuid.UUID(dataset_id)
    except ValueError:
        raise InvalidInput("dataset_id is not a valid id", code=INVALID_INPUT) from None


def _created_details(task: Task, chunks: list[Chunk]) -> dict[str, Any]:
    return {
        "type": task.type.value,
        "model": task.model,
        "version": task.version,
        "rows": task.progress.total,
        "chunks": len(chunks),
    }


def _events(
    task: Task, chunks: list[Chunk], now: datetime
) -> list[tuple[str, bytes, dict[str, str] | None]]:
    """A new task's events, in order: `created`, then one work message per chunk."""
    headers = {messages.TASK_HEADER: str(task.id)}
    return [(messages.CREATED, messages.created(task, now), None)] + [
        (messages.WORK, messages.work(task, c, now), headers) for c in chunks
    ]


def _new_view(task: Task) -> TaskView:
    """A task just created, as `_view` would read it back: nothing counted yet, no read."""
    if task.type is not TaskType.BATCH:
        return TaskView(task, None)
    return TaskView(task, BatchSummary(counts={label: 0 for label in task.labels}, failed=0))


async def _view(conn: Any, task: Task) -> TaskView:
    """A task with its live batch summary (a single task carries its own in the row), and its
    evaluation once it has finished (one scan of its results, not one per progress tick)."""
    if task.type is not TaskType.BATCH:
        return TaskView(task, None)
    batch = await repository.batch_summary(conn, task)
    # An expired task's results are gone: no figures rather than figures over nothing.
    live = task.is_terminal and task.expired_at is None
    scored = await evaluation.evaluate(conn, task) if live else None
    return TaskView(task, batch, scored)
