"""Progress events of the tasks this worker touches, at most one per task per interval.

Core NATS publishes on tasks.progress.<id> (the TASKS_EVENTS stream keeps them too). They are
hints for watchers, who read the counts from the database; so a dropped one costs nothing, and
the final state of a task is always published at once.
"""

import asyncio
import contextlib
import time

from inferlane.common.clock import utc_now
from inferlane.common.nats import NatsConnection
from services.tasks import messages
from services.tasks.domain import Task

MAX_TRACKED = 10_000


class ProgressPublisher:
    def __init__(self, nats: NatsConnection, interval: float) -> None:
        self._nats = nats
        self._interval = interval
        self._last: dict[str, float] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def __call__(self, task: Task, force: bool = False) -> None:
        """Fire and forget: a chunk's ack never waits for a progress event."""
        key = str(task.id)
        now = time.monotonic()
        if not force and now - self._last.get(key, 0.0) < self._interval:
            return
        if len(self._last) > MAX_TRACKED:
            self._last.clear()
        self._last[key] = now
        job = asyncio.get_running_loop().create_task(self._publish(task))
        self._pending.add(job)
        job.add_done_callback(self._pending.discard)

    async def _publish(self, task: Task) -> None:
        client = self._nats.client
        if client is None or not client.is_connected:
            return
        with contextlib.suppress(Exception):
            await client.publish(
                messages.progress_subject(task.id), messages.progress(task, utc_now())
            )
