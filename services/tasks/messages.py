"""Subjects and payloads the tasks service and its workers put on NATS."""

import uuid
from datetime import datetime
from typing import Any

from inferlane.events.v1 import events_pb2
from services.tasks.domain import Chunk, Task, TaskType

WORK = "tasks.work"
CREATED = "tasks.task.created"
COMPLETED = "tasks.task.completed"
FAILED = "tasks.task.failed"
CANCELLED = "tasks.task.cancelled"
RESUMED = "tasks.task.resumed"
TASK_HEADER = "Inferlane-Task-Id"  # lets the relay mark a task queued without decoding


def progress_subject(task_id: uuid.UUID | str) -> str:
    return f"tasks.progress.{task_id}"


def dead_subject(task_id: uuid.UUID | str) -> str:
    return f"tasks.dead.{task_id}"


def _event(kind: type[Any], task: Task, now: datetime, **fields: Any) -> bytes:
    """Every task event carries a fresh event id, the owner, the task and when (fields 1-4)."""
    message = kind(
        event_id=str(uuid.uuid4()), owner_id=str(task.owner_id), task_id=str(task.id), **fields
    )
    message.occurred_at.FromDatetime(now)
    return bytes(message.SerializeToString())


def _dataset(task: Task) -> str:
    """A task's dataset as its events name it: empty for a single task (in an ending event,
    set though empty, so the datasets service knows it holds no lease)."""
    return str(task.dataset_id or "")


def _counts(task: Task) -> dict[str, int]:
    p = task.progress
    return {"done": p.done, "total": p.total, "failed": p.failed}


def work(task: Task, chunk: Chunk, now: datetime) -> bytes:
    rows = events_pb2.RowRange(start_row_index=chunk.start, end_row_index=chunk.end)
    single = task.type is TaskType.SINGLE
    return _event(events_pb2.TaskWork, task, now, chunk_index=chunk.index, rows=rows, single=single)


def created(task: Task, now: datetime) -> bytes:
    return _event(events_pb2.TaskCreated, task, now, model=task.model, dataset_id=_dataset(task))


def resumed(task: Task, now: datetime) -> bytes:
    return _event(events_pb2.TaskResumed, task, now, dataset_id=_dataset(task))


def completed(task: Task, now: datetime) -> bytes:
    return _event(events_pb2.TaskCompleted, task, now, dataset_id=_dataset(task), **_counts(task))


def failed(task: Task, code: str, reason: str, now: datetime) -> bytes:
    fields = {"error_code": code, "error_message": reason, "dataset_id": _dataset(task)}
    return _event(events_pb2.TaskFailed, task, now, **fields)


def cancelled(task: Task, now: datetime) -> bytes:
    return _event(events_pb2.TaskCancelled, task, now, dataset_id=_dataset(task))


def progress(task: Task, now: datetime) -> bytes:
    return _event(events_pb2.TaskProgress, task, now, **_counts(task))
