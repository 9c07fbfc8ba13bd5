"""What a task is, and the one place that says which status may follow which."""

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from inferlane.common.errors import Conflict


class Status(enum.StrEnum):
    ACCEPTED = "accepted"  # stored; its work is in the outbox
    QUEUED = "queued"  # the work is on the JetStream work queue
    RUNNING = "running"  # a worker has started a chunk
    READY = "ready"
    ERROR = "error"
    CANCELLED = "cancelled"


class TaskType(enum.StrEnum):
    SINGLE = "single"
    BATCH = "batch"


TERMINAL = frozenset({Status.READY, Status.ERROR, Status.CANCELLED})
ACTIVE = frozenset({Status.ACCEPTED, Status.QUEUED, Status.RUNNING})

# target -> the statuses it may be reached from. A worker may start a chunk before the
# relay has recorded `queued` (both race after the publish), hence accepted -> running.
# error -> queued is an admin's replay of a dead letter.
_SOURCES: dict[Status, frozenset[Status]] = {
    Status.ACCEPTED: frozenset(),
    Status.QUEUED: frozenset({Status.ACCEPTED, Status.ERROR}),
    Status.RUNNING: frozenset({Status.ACCEPTED, Status.QUEUED}),
    Status.READY: frozenset({Status.RUNNING}),
    Status.ERROR: frozenset({Status.ACCEPTED, Status.QUEUED, Status.RUNNING}),
    Status.CANCELLED: frozenset({Status.ACCEPTED, Status.QUEUED, Status.RUNNING}),
}

# The timestamp column each target status sets (if it is not set yet).
TIMESTAMP_OF: dict[Status, str] = {
    Status.QUEUED: "queued_at",
    Status.RUNNING: "started_at",
    Status.READY: "finished_at",
    Status.ERROR: "finished_at",
    Status.CANCELLED: "finished_at",
}


def sources(target: Status) -> frozenset[Status]:
    """The statuses from which `target` may be entered; repositories put these in a WHERE."""
    return _SOURCES[target]


def check_transition(current: Status, target: Status) -> None:
    if current not in _SOURCES[target]:
        raise Conflict(f"a {current} task cannot become {target}", code="invalid_transition")


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    failed: int
    # When the task started running, for its rate; not part of what "progress changed" means.
    started_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Task:
    id: uuid.UUID
    owner_id: uuid.UUID
    type: TaskType
    model: str
    status: Status
    progress: Progress
    input: dict[str, Any] | None  # single tasks
    dataset_id: uuid.UUID | None  # batch tasks
    column: str | None
    row_limit: int | None
    labels: list[str]  # the model's labels when it is a classifier, for summaries and exports
    input_columns: list[str]  # columns of each result's input, in export order
    summary: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    created_at: datetime
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    version: str | None = None  # the model version it runs; None on tasks from before versions
    label_column: str | None = None  # set on a batch task that evaluates the model
    id_column: str | None = None  # the caller's own row ids, carried into every result
    expires_at: datetime | None = None  # its results go then; None: kept (older tasks)
    expired_at: datetime | None = None  # set once they went: reading them is 410 `expired`
    dataset_name: str | None = None  # for display; None on single tasks and older ones
    callback_url: str | None = None  # also gets the terminal event (webhooks)

    @property
    def reads_records(self) -> bool:
        """Whether its worker reads whole records (more than the one input column)."""
        return bool(self.label_column or self.id_column)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL


class Result(NamedTuple):
    """One row's outcome. A NamedTuple, not a frozen dataclass: as immutable, and built in a
    quarter of the time (0.26 against 0.96 µs), once per row in the worker and again in an
    export, where building a million of them was ~5 % of the tasks service's CPU."""

    row_index: int
    input: dict[str, Any]
    label: str | None = None
    scores: dict[str, float] | None = None
    raw: dict[str, Any] | None = None  # outputs of models that are not classifiers
    error_code: str | None = None
    error_message: str | None = None
    expected_label: str | None = None  # from the task's label column, when it has one
    custom_id: str | None = None  # from the task's id column, when it has one


@dataclass(frozen=True)
class Chunk:
    """Rows [start, end) of a task, the unit of work, retry and idempotent storage."""

    task_id: uuid.UUID
    index: int
    start: int
    end: int


@dataclass(frozen=True)
class DeadLetter:
    id: uuid.UUID
    task_id: uuid.UUID
    owner_id: uuid.UUID
    subject: str
    payload: bytes
    delivery_count: int
    reason: str
    dead_at: datetime
    replayed_at: datetime | None = None


@dataclass
class BatchSummary:
    counts: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    @property
    def percentages(self) -> dict[str, float]:
        succeeded = sum(self.counts.values())
        if not succeeded:
            return {label: 0.0 for label in self.counts}
        return {label: round(100.0 * n / succeeded, 2) for label, n in self.counts.items()}


# The first chunks are smaller (an eighth, an eighth, a quarter, a half of chunk_rows): a
# task's counts move when a chunk is stored, so a first chunk of 32 rows shows progress within
# a second or two instead of after a whole 256-row chunk. They add up to one chunk_rows, so
# every later (full) chunk starts at a multiple of it: with chunk_rows a multiple of the
# datasets service's ROWS_PER_CHECKPOINT, each read starts at a checkpoint and parses no row
# it does not return (with 8, 4, 2 a 256-row read parsed 608 rows it skipped, on average).
RAMP = (8, 8, 4, 2)


def chunk_sizes(total: int, chunk_rows: int) -> list[int]:
    sizes: list[int] = []
    wanted = [max(1, chunk_rows // d) for d in RAMP]
    while total > 0:
        size = min(wanted[len(sizes)] if len(sizes) < len(wanted) else chunk_rows, total)
        sizes.append(size)
        total -= size
    return sizes


def plan_chunks(task_id: uuid.UUID, total: int, chunk_rows: int) -> list[Chunk]:
    chunks, start = [], 0
    for i, size in enumerate(chunk_sizes(total, chunk_rows)):
        chunks.append(Chunk(task_id, i, start, start + size))
        start += size
    return chunks
