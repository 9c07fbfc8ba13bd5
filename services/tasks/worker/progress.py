"""Progress events of the tasks this worker touches, at most one per task per interval; a
change held back by the interval is published when it ends (the last one wins), so a
watcher's last view of a running task is never older than one interval.

Core NATS publishes on tasks.progress.<id> (the TASKS_EVENTS stream keeps them too). They are
hints for watchers, who read the counts from the database; so a dropped one costs nothing, and
the final state of a task is always published at once.
"""

import asyncio
import time

import structlog

from inferlane.common.clock import utc_now
from inferlane.common.nats import NatsConnection
from services.tasks import messages
from services.tasks.domain import Task

MAX_TRACKED = 10_000

log = structlog.get_logger(__name__)


class ProgressPublisher:
    def __init__(self, nats: NatsConnection, interval: float) -> None:
        self._nats = nats
        self._interval = interval
        self._last: dict[str, float] = {}
        self._held: dict[str, Task] = {}  # the newest state held back, per task
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def __call__(self, task: Task, force: bool = False) -> None:
        """Fire and forget: a chunk's ack never waits for a progress event."""
        key = str(task.id)
        now = time.monotonic()
        since = now - self._last.get(key, float("-inf"))
        if not force and since < self._interval:
            self._held[key] = task
            if key not in self._timers:
                later = asyncio.get_running_loop().call_later
                self._timers[key] = later(self._interval - since, self._publish_held, key)
            return
        if timer := self._timers.pop(key, None):
            timer.cancel()
        self._held.pop(key, None)
        self._send(key, task, now)

    def _publish_held(self, key: str) -> None:
        self._timers.pop(key, None)
        if (task := self._held.pop(key, None)) is not None:
            self._send(key, task, time.monotonic())

    def _send(self, key: str, task: Task, now: float) -> None:
        if len(self._last) > MAX_TRACKED:
            self._last.clear()
        self._last[key] = now
        job = asyncio.get_running_loop().create_task(self._publish(task))
        self._pending.add(job)
        job.add_done_callback(self._pending.discard)

    async def _publish(self, task: Task) -> None:
        client = self._nats.client
        if client is None or not client.is_connected:
            log.info("progress event skipped: NATS not connected", task_id=str(task.id))
            return
        try:
            await client.publish(
                messages.progress_subject(task.id), messages.progress(task, utc_now())
            )
        except Exception as exc:  # a hint lost costs nothing, but leave a trace of it
            log.warning("progress event not published", task_id=str(task.id), error=repr(exc))
