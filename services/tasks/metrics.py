"""Task metrics for Prometheus (names used by k8s/observability's dashboard and alerts).

Gauges of what the database holds (active tasks, the oldest queued one, dead letters) are
sampled by the tasks service every few seconds; durations and rows are counted by whoever
ends a task or stores a chunk, after its transaction commits.
"""

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime

import structlog
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import extract, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.tasks.domain import Result, Status, Task
from services.tasks.tables import dead_letters, tasks

log = structlog.get_logger(__name__)

SAMPLED_STATUSES = (Status.QUEUED, Status.RUNNING)

TASKS_ACTIVE = Gauge("inferlane_tasks_active", "Tasks queued or running.", ["status"])
QUEUE_OLDEST = Gauge(
    "inferlane_tasks_queue_oldest_seconds", "Age of the oldest queued task (0 if none)."
)
DEAD_LETTERS = Gauge("inferlane_dead_letters", "Dead letters not replayed yet.")
TASK_SECONDS = Histogram(
    "inferlane_task_duration_seconds",
    "Time from a task's creation to its end (ready, error or cancelled).",
    ["type", "model", "status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
TASK_ROWS = Counter(
    "inferlane_task_rows_total",
    "Rows stored by workers, by outcome (ok or failed).",
    ["model", "outcome"],
)


def task_ended(task: Task, now: datetime) -> None:
    """`task` has just ended (its transaction committed)."""
    seconds = max(0.0, (now - task.created_at).total_seconds())
    TASK_SECONDS.labels(task.type.value, task.model, task.status.value).observe(seconds)


def rows_stored(model: str, results: Sequence[Result]) -> None:
    failed = sum(1 for r in results if r.error_code is not None)
    if len(results) > failed:
        TASK_ROWS.labels(model, "ok").inc(len(results) - failed)
    if failed:
        TASK_ROWS.labels(model, "failed").inc(failed)


_ACTIVE = (
    select(tasks.c.status, func.count())
    .where(tasks.c.status.in_([s.value for s in SAMPLED_STATUSES]))
    .group_by(tasks.c.status)
)
_OLDEST_AND_DEAD = select(
    select(extract("epoch", func.clock_timestamp() - func.min(tasks.c.created_at)))
    .where(tasks.c.status == Status.QUEUED.value)
    .scalar_subquery(),
    select(func.count())
    .select_from(dead_letters)
    .where(dead_letters.c.replayed_at.is_(None))
    .scalar_subquery(),
)


async def sample(engine: AsyncEngine) -> None:
    """Set the gauges from the database once."""
    async with engine.connect() as conn:
        counts = dict((await conn.execute(_ACTIVE)).tuples().all())
        oldest, dead = (await conn.execute(_OLDEST_AND_DEAD)).one()
    for status in SAMPLED_STATUSES:
        TASKS_ACTIVE.labels(status.value).set(counts.get(status.value, 0))
    QUEUE_OLDEST.set(max(0.0, float(oldest or 0)))
    DEAD_LETTERS.set(dead or 0)


class GaugeSampler:
    """The tasks service's background job: samples every `interval` seconds until closed.
    Every replica samples the same database, so dashboards take the max across them."""

    def __init__(self, engine: AsyncEngine, interval: float = 5.0) -> None:
        self._engine = engine
        self._interval = interval
        self._closing = asyncio.Event()
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        failing = False
        try:
            while not self._closing.is_set():
                try:
                    await sample(self._engine)
                except Exception as exc:  # the database is down: keep the last values
                    if not failing:
                        log.warning("task metrics not sampled", error=str(exc))
                    failing = True
                else:
                    failing = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), self._interval)
        finally:
            self._stopped.set()

    async def close(self) -> None:
        """Stop after the sample in flight, before the engine is disposed."""
        self._closing.set()
        if not self._stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), 5)
