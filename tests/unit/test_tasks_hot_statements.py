"""The hot statements of a single task (its creation, its finish by the worker) are built once
per shape and cacheable by SQLAlchemy: building one per call, or one SQLAlchemy cannot cache
(a `values()` construct, an `ON CONFLICT`), cost more CPU than the round trips they save
(docs/benchmarks.md, "A task created in one statement")."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import literal_column, select

from services.tasks import audit, lifecycle, messages, repository
from services.tasks.domain import Chunk, Result, Status, plan_chunks


class _Capture:
    """A connection that keeps what it is asked to execute and finds nothing."""

    def __init__(self) -> None:
        self.statements: list[Any] = []

    async def execute(self, statement: Any, params: Any = None) -> Any:
        self.statements.append(statement)
        return self

    def first(self) -> None:
        return None


def _values() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "owner_id": uuid.uuid4(),
        "model": "sentiment",
        "status": Status.ACCEPTED.value,
        "type": "single",
        "input": {"text": "Fine."},
        "total": 1,
        "created_at": now,
        "chunks_total": 1,
    }


async def test_a_single_tasks_creation_is_built_once_and_cacheable() -> None:
    conn = _Capture()
    for _ in range(2):
        values = _values()
        chunks = plan_chunks(values["id"], 1, 256)
        await repository.insert_task_with(
            conn,  # type: ignore[arg-type]
            values,
            chunks,
            lambda new: [audit.entry_with(new)],
            audit.entry_params(audit.CREATED),
            shape="test",
            max_active=10,
        )
    first, second = conn.statements
    assert first is second
    assert first._generate_cache_key() is not None


async def test_a_single_tasks_finish_is_built_once_and_cacheable() -> None:
    conn = _Capture()
    for _ in range(2):
        task = repository.task_to_be(_values() | {"status": Status.QUEUED.value})
        result = Result(0, {"text": "Fine."}, "positive", {"positive": 0.9}, None, None, None)
        now = datetime.now(UTC)
        await lifecycle.finish_single(
            conn,  # type: ignore[arg-type]
            task,
            Chunk(task.id, 0, 0, 1),
            [result],
            now,
            now,
            [(audit.CHUNK_STARTED, {"chunk": 0})],
        )
    first, second = conn.statements
    assert first is second
    assert first._generate_cache_key() is not None


def test_the_relays_queued_mark_is_built_once_and_cacheable() -> None:
    """The tasks relay marks a task `queued` in the statement that marks its work published."""
    rider = lifecycle.QUEUED_WHEN_PUBLISHED
    task_id = uuid.uuid4()
    assert rider.params([{"Other": "x"}]) is None  # an event that is no task's work
    assert rider.params([{messages.TASK_HEADER: str(task_id)}] * 2) == {"queued_ids": [task_id]}
    marked = select(literal_column("1").label("id")).cte("marked")
    assert rider.statement(marked)._generate_cache_key() is not None
