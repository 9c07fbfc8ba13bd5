"""Subjects and payloads the tasks service and its workers put on NATS."""

import uuid
from datetime import datetime

from inferlane.events.v1 import events_pb2
from services.tasks.domain import Chunk, Task

WORK = "tasks.work"
CREATED = "tasks.task.created"
COMPLETED = "tasks.task.completed"
FAILED = "tasks.task.failed"
CANCELLED = "tasks.task.cancelled"
TASK_HEADER = "Inferlane-Task-Id"  # lets the relay mark a task queued without decoding


def progress_subject(task_id: uuid.UUID | str) -> str:
    return f"tasks.progress.{task_id}"


def dead_subject(task_id: uuid.UUID | str) -> str:
    return f"tasks.dead.{task_id}"


def work(task: Task, chunk: Chunk, now: datetime) -> bytes:
    message = events_pb2.TaskWork(
        event_id=str(uuid.uuid4()),
        owner_id=str(task.owner_id),
        task_id=str(task.id),
        chunk_index=chunk.index,
        rows=events_pb2.RowRange(start_row_index=chunk.start, end_row_index=chunk.end),
    )
    message.occurred_at.FromDatetime(now)
    return message.SerializeToString()


def created(task: Task, now: datetime) -> bytes:
    message = events_pb2.TaskCreated(
        event_id=str(uuid.uuid4()),
        owner_id=str(task.owner_id),
        task_id=str(task.id),
        model=task.model,
        dataset_id=str(task.dataset_id or ""),
    )
    message.occurred_at.FromDatetime(now)
    return message.SerializeToString()


def completed(task: Task, now: datetime) -> bytes:
    message = events_pb2.TaskCompleted(
        event_id=str(uuid.uuid4()),
        owner_id=str(task.owner_id),
        task_id=str(task.id),
        done=task.progress.done,
        total=task.progress.total,
        failed=task.progress.failed,
    )
    message.occurred_at.FromDatetime(now)
    return message.SerializeToString()


def failed(task: Task, code: str, reason: str, now: datetime) -> bytes:
    message = events_pb2.TaskFailed(
        event_id=str(uuid.uuid4()),
        owner_id=str(task.owner_id),
        task_id=str(task.id),
        error_code=code,
        error_message=reason,
    )
    message.occurred_at.FromDatetime(now)
    return message.SerializeToString()


def cancelled(task: Task, now: datetime) -> bytes:
    message = events_pb2.TaskCancelled(
        event_id=str(uuid.uuid4()), owner_id=str(task.owner_id), task_id=str(task.id)
    )
    message.occurred_at.FromDatetime(now)
    return message.SerializeToString()


def progress(task: Task, now: datetime) -> bytes:
    message = events_pb2.TaskProgress(
        event_id=str(uuid.uuid4()),
        owner_id=str(task.owner_id),
        task_id=str(task.id),
        done=task.progress.done,
        total=task.progress.total,
        failed=task.progress.failed,
    )
    message.occurred_at.FromDatetime(now)
    return message.SerializeToString()
