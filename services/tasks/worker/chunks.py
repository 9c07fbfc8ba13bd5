"""Running one chunk of a task: read its rows, check them, predict, store — once.

The outcome tells the consumer what to do with the message: ack it (done, nothing left to do,
or dead-lettered because retrying cannot fix it); a dependency that is busy or down raises
Transient, and the consumer decides when to try again. Results and progress are committed
before the ack, in one transaction that also marks the chunk completed, so a redelivery
writes nothing twice.
"""

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog
from google.protobuf import json_format
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import Clock, utc_now
from inferlane.common.db import autocommit
from inferlane.common.errors import (
    INVALID_INPUT,
    PROCESSING_FAILED,
    DomainError,
    TooMany,
    Unavailable,
)
from inferlane.common.grpc.peer_errors import is_transient
from inferlane.common.outbox import enqueue
from inferlane.events.v1 import events_pb2
from inferlane.inference.v1 import inference_types_pb2
from services.tasks import audit, lifecycle, messages, metrics, repository
from services.tasks.batch_shape import cell_text, text_of
from services.tasks.domain import Chunk, DeadLetter, Result, Status, Task, TaskType
from services.tasks.models import ModelInfo, row_problem, tabular_row
from services.tasks.peers import Metadata, Peers
from services.tasks.tables import outbox
from services.tasks.vector_index import VectorIndexes
from services.tasks.worker.chunk_line import ChunkLine
from services.tasks.worker.coalesce import SingleRows

log = structlog.get_logger(__name__)


class Outcome(enum.Enum):
    DONE = "done"  # ack
    SKIPPED = "skipped"  # ack: finished already, or the task ended
    RETRY = "retry"  # nak: another worker (or this one, later) takes it
    DEAD = "dead"  # recorded as a dead letter, task failed; ack


@dataclass(frozen=True)
class Delivery:
    work: events_pb2.TaskWork
    payload: bytes
    attempt: int  # 1 on the first delivery
    # Rows predicted by earlier tries of this delivery (by row index): a retry after a busy
    # or failed call asks the model only for the rest. Stored only with the whole chunk.
    predicted: dict[int, Result] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    code: str
    message: str


# Predict's answers when a task's version is no longer there: unknown (its folder was
# removed) or known but not served.
_VERSION_GONE = (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION)


class Transient(Exception):
    """Worth another try later."""


class Permanent(Exception):
    """Retrying will not help (e.g. the dataset is gone, the caller may not read it)."""


class ChunkRunner:
    def __init__(
        self,
        engine: AsyncEngine,
        peers: Peers,
        credentials: Callable[[str], Any],
        *,
        predict_rows: int,
        max_predict_rows: int | None = None,
        batch_chunks: int = 4,
        on_progress: Callable[[Task, bool], Any],
        on_event: Callable[[], None] = lambda: None,
        clock: Clock = utc_now,
        vector_indexes: VectorIndexes | None = None,
    ) -> None:
        self._engine = engine
        # Reads and one-statement writes: no BEGIN, COMMIT or ROLLBACK round trips.
        self._autocommit = autocommit(engine)
        self._peers = peers
        self._credentials = credentials  # owner id -> awaitable gRPC metadata acting for them
        self._predict_rows = predict_rows
        self._max_predict_rows = max_predict_rows or predict_rows
        self._batch_chunks = batch_chunks
        # Concurrent single tasks of one owner share Predict calls (coalesce.py).
        self._singles = SingleRows(peers.predict, predict_rows)
        # Batch chunks run a few at a time, lowest index first (chunk_line.py), so a task's
        # chunks finish in order (steady progress) and single tasks, which skip the line,
        # are not stuck behind them.
        self._batch_line = ChunkLine(batch_chunks)
        self._on_progress = on_progress
        self._on_event = on_event
        self._clock = clock
        # None: embeddings stay in the results only (no search), as before task_vectors.
        self._vector_indexes = vector_indexes

    async def run(self, delivery: Delivery) -> Outcome:
        """DONE, SKIPPED or DEAD; raises Transient when a dependency is busy or down."""
        try:
            return await self._run(delivery)
        except DBAPIError as exc:  # the database is restarting or unreachable
            raise Transient(f"database: {exc.orig}") from exc
        except Permanent as exc:
            return await self.dead_letter(delivery, str(exc))

    async def _run(self, delivery: Delivery) -> Outcome:
        if delivery.work.single:
            return await self._run_now(delivery)
        async with self._batch_line.turn(delivery.work.chunk_index):
            return await self._run_now(delivery)

    async def _run_now(self, delivery: Delivery) -> Outcome:
        work = delivery.work
        task_id = uuid.UUID(work.task_id)
        async with self._autocommit.connect() as conn:
            found = await repository.task_and_chunk(conn, task_id, work.chunk_index)
        if found is None:
            return Outcome.SKIPPED  # deleted, or not ours to know
        task, chunk, completed = found
        if completed or task.is_terminal:
            return Outcome.SKIPPED  # a redelivery, or the task was cancelled/failed meanwhile
        if task.type is TaskType.SINGLE:
            await self._process_single(task, chunk, delivery)
        else:
            await self._process_batch(task, chunk, delivery)
        return Outcome.DONE

    async def _process_single(self, task: Task, chunk: Chunk, delivery: Delivery) -> None:
        """A single task's one chunk is short, so it starts in the statement that finishes
        it, stamped with when this worker took it up (the database's now() there would be
        the end): stored, counted, READY, its event and its trail in one round trip."""
        picked_up = self._clock()
        about = _chunk_details(chunk, delivery.attempt)
        results = await self._results(task, chunk, delivery.predicted)
        entries = [(audit.CHUNK_STARTED, about), _finished_entry(about, results)]
        async with self._autocommit.connect() as conn:  # one statement: atomic by itself
            updated = await lifecycle.finish_single(
                conn, task, chunk, results, picked_up, self._clock(), entries
            )
        if updated is None:
            return  # a redelivered chunk, stored already, or the task ended meanwhile
        finished = updated.status is Status.READY
        metrics.rows_stored(task.model, results)
        if finished:
            metrics.task_ended(updated, self._clock())
            self._on_event()
        self._on_progress(updated, finished)

    async def _process_batch(self, task: Task, chunk: Chunk, delivery: Delivery) -> None:
        # A batch shows `running` while its first chunk runs. A chunk's start is in the audit
        # trail before its work: a crash then shows there.
        starting = task.status is not Status.RUNNING
        about = _chunk_details(chunk, delivery.attempt)
        started = audit.entry(task.id, audit.CHUNK_STARTED, **about)
        if starting:  # `running` and the entry together: one statement, atomic by itself
            moved = repository.transition_statement([task.id], Status.RUNNING).cte("moved")
            started = started.add_cte(moved)
        if task.status is Status.ACCEPTED:  # rare: the relay has not marked it queued yet
            async with self._engine.begin() as conn:
                await lifecycle.queue_first(conn, task)
                await conn.execute(started)
        else:
            async with self._autocommit.connect() as conn:  # no BEGIN and COMMIT round trips
                await conn.execute(started)
        if starting:
            self._on_progress(task, True)
        results = await self._results(task, chunk, delivery.predicted)
        finished = None
        async with self._engine.begin() as conn:
            event, details = _finished_entry(about, results)
            counted = await repository.complete_chunk(
                conn,
                chunk,
                results,
                store_vectors=self._vector_indexes is not None,
                entry=audit.entry(task.id, event, **details),
            )
            if counted is None:  # a redelivered chunk, stored already
                return
            updated, all_counted = counted
            if all_counted and updated.status is Status.RUNNING:
                finished = await lifecycle.finish(conn, updated, self._clock())
        metrics.rows_stored(task.model, results)
        if finished is not None:
            metrics.task_ended(finished, self._clock())
            self._on_event()
            if self._vector_indexes is not None:
                self._vector_indexes.ensure_soon(finished.id)  # after the ack: may take minutes
        self._on_progress(finished or updated, finished is not None)

    async def _results(
        self, task: Task, chunk: Chunk, predicted: dict[int, Result]
    ) -> list[Result]:
        try:
            metadata = await self._credentials(str(task.owner_id))
            model = await self._peers.model(task.model, metadata)
            inputs, beside = await self._inputs(task, chunk, metadata)
            results = await self._predict_all(task, model, inputs, metadata, predicted)
            if not beside:
                return results
            return [
                r._replace(expected_label=beside[r.row_index][0], custom_id=beside[r.row_index][1])
                for r in results
            ]
        except grpc.aio.AioRpcError as exc:
            if is_transient(exc):
                raise Transient(f"{exc.code().name}: {exc.details()}") from exc
            raise Permanent(f"{exc.code().name}: {exc.details()}") from exc
        except (Unavailable, TooMany) as exc:
            raise Transient(str(exc)) from exc
        except DomainError as exc:
            raise Permanent(str(exc)) from exc

    async def _inputs(
        self, task: Task, chunk: Chunk, metadata: Metadata
    ) -> tuple[list[tuple[int, dict[str, Any]]], dict[int, tuple[str | None, str | None]]]:
        """(row_index, the row as the task's input columns) for every row of the chunk, and
        what each result carries beside its prediction (expected label, the caller's row id)
        when the task names those columns (then whole records are read)."""
        if task.type is TaskType.SINGLE:
            return [(0, dict(task.input or {}))], {}
        assert task.dataset_id is not None
        column = None if task.reads_records else task.column
        rows = await self._peers.read_rows(
            str(task.dataset_id), column, chunk.start, chunk.end, metadata
        )
        if column is not None:
            return [(i, {column: value}) for i, value in rows], {}
        beside = (
            {
                i: (_cell(record, task.label_column), _cell(record, task.id_column))
                for i, record in rows
            }
            if task.label_column or task.id_column
            else {}  # nothing beside: no copy of every result to add two Nones
        )
        return [(i, {c: record.get(c) for c in task.input_columns}) for i, record in rows], beside

    async def _predict_all(
        self,
        task: Task,
        model: ModelInfo,
        rows: list[tuple[int, dict[str, Any]]],
        metadata: Metadata,
        results: dict[int, Result],
    ) -> list[Result]:
        """Every row's result; `results` holds (and keeps, for a retry) those predicted."""
        ready: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        for index, stored in rows:
            if index in results:
                continue
            feed = _model_input(task, model, stored)
            if problem := row_problem(model, feed):
                results[index] = Result(
                    index, stored, error_code=INVALID_INPUT, error_message=problem
                )
            else:
                ready.append((index, stored, feed))
        while ready:
            # Calls shrink while the model is slow, so each answers within its deadline.
            # Each of the chunks at once has one call in flight, so calls grow to fill the
            # model's window: fewer, bigger calls while the model is fast.
            size = self._peers.rows_per_call(
                task.model, self._predict_rows, self._max_predict_rows, self._batch_chunks
            )
            batch, ready = ready[:size], ready[size:]
            for (index, stored, _), outcome in zip(
                batch,
                await self._predict(task, [f for _, _, f in batch], metadata),
                strict=True,
            ):
                results[index] = _result(index, stored, outcome)
        return [results[i] for i, _ in rows]

    async def _predict(
        self, task: Task, feeds: Sequence[dict[str, Any]], metadata: Metadata
    ) -> list[inference_types_pb2.Prediction | RowError]:
        """One call for the batch; if the model refuses it as invalid, row by row, so one bad
        row fails alone (the message of each refusal becomes that row's error). When the
        task's version is gone (retired from the repository, or no longer served), its rows
        fail with code 03: retrying cannot bring it back."""
        model, version = task.model, task.version
        try:
            if task.type is TaskType.SINGLE and len(feeds) == 1:
                owner = str(task.owner_id)
                return [await self._singles.predict(owner, model, feeds[0], metadata, version)]
            return list(await self._peers.predict(model, feeds, metadata, version))
        except grpc.aio.AioRpcError as exc:
            if version and exc.code() in _VERSION_GONE:
                gone = RowError(PROCESSING_FAILED, f"version {version} of {model}: {exc.details()}")
                return [gone] * len(feeds)
            if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                raise
        # Alone, each row goes as a Struct: an inference service older than `inputs_json`
        # reads a JSON call as no rows and refuses it, and this then still predicts every row
        # (one at a time) while a rollout has old and new services side by side.
        out: list[inference_types_pb2.Prediction | RowError] = []
        for feed in feeds:
            try:
                (prediction,) = await self._peers.predict(
                    model, [feed], metadata, version, as_json=False
                )
                out.append(prediction)
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    raise
                out.append(RowError(INVALID_INPUT, exc.details() or "the model refused this row"))
        return out

    async def note_retry(self, delivery: Delivery, reason: str, retry_in: float) -> None:
        """The trail's entry for a try that failed and will be repeated; best effort: the
        database may well be what failed."""
        work = delivery.work
        try:
            async with self._engine.begin() as conn:
                await audit.record(
                    conn,
                    uuid.UUID(work.task_id),
                    audit.CHUNK_RETRIED,
                    **_chunk_details(work, delivery.attempt),
                    reason=reason,
                    retry_in_seconds=round(retry_in, 2),
                )
        except DBAPIError as exc:
            log.warning("retry not in the audit trail", task_id=work.task_id, error=str(exc.orig))

    async def dead_letter(self, delivery: Delivery, reason: str) -> Outcome:
        work = delivery.work
        task_id = uuid.UUID(work.task_id)
        now = self._clock()
        async with self._engine.begin() as conn:
            task = await repository.get(conn, task_id, for_update=True)
            if task is None:
                return Outcome.SKIPPED
            letter = DeadLetter(
                id=uuid.uuid4(),
                task_id=task.id,
                owner_id=task.owner_id,
                subject=messages.WORK,
                payload=delivery.payload,
                delivery_count=delivery.attempt,
                reason=reason,
                dead_at=now,
            )
            await repository.insert_dead_letter(conn, letter)
            await audit.record(
                conn,
                task.id,
                audit.CHUNK_DEAD_LETTERED,
                **_chunk_details(work, delivery.attempt),
                reason=reason,
                dead_letter_id=str(letter.id),
            )
            # Nats-Msg-Id is the outbox row id, so the dead-letter stream holds it once.
            await enqueue(conn, outbox, messages.dead_subject(task.id), delivery.payload)
            failed = await lifecycle.fail(conn, task, PROCESSING_FAILED, reason, now)
        log.error(
            "chunk dead-lettered", task_id=work.task_id, chunk=work.chunk_index, reason=reason
        )
        self._on_event()
        if failed is not None:
            metrics.task_ended(failed, now)
            self._on_progress(failed, True)
        return Outcome.DEAD


def _finished_entry(about: dict[str, Any], results: Sequence[Result]) -> tuple[str, dict[str, Any]]:
    failed = sum(1 for r in results if r.error_code is not None)
    return audit.CHUNK_FINISHED, {**about, "rows": len(results), "failed": failed}


def _chunk_details(chunk: Chunk | events_pb2.TaskWork, attempt: int) -> dict[str, Any]:
    index = chunk.index if isinstance(chunk, Chunk) else chunk.chunk_index
    return {"chunk": index, "attempt": attempt, "worker": audit.WORKER}


def _cell(record: dict[str, Any], column: str | None) -> str | None:
    return cell_text(record.get(column)) if column else None


def _model_input(task: Task, model: ModelInfo, stored: dict[str, Any]) -> dict[str, Any]:
    """A text model's one input takes the task's column; tabular inputs keep their names,
    with numbers written as text (every CSV cell) read as numbers."""
    if model.is_text:
        if task.type is TaskType.BATCH:
            (name,) = model.inputs
            return {name: text_of(stored.get(task.column or ""))}
        return stored
    return tabular_row(stored)


def _result(
    index: int, stored: dict[str, Any], outcome: inference_types_pb2.Prediction | RowError
) -> Result:
    if isinstance(outcome, RowError):
        return Result(index, stored, error_code=outcome.code, error_message=outcome.message)
    kind = outcome.WhichOneof("result")
    if kind == "classification":
        c = outcome.classification
        return Result(index, stored, label=c.label, scores=dict(c.scores))
    if kind == "embedding":
        return Result(index, stored, raw={"vector": list(outcome.embedding.vector)})
    if kind == "regression":
        return Result(index, stored, raw={"value": outcome.regression.value})
    return Result(index, stored, raw=json_format.MessageToDict(outcome))
