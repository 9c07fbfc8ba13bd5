"""Following one task live: the task first, progress while it runs, the task again at each
status change, the end after a terminal status.

The database is the truth; NATS only says "look now" (workers publish progress on
tasks.progress.<id>). A missed message costs at most one poll interval, never a wrong answer,
and NATS being down only makes updates slower.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import utc_now
from inferlane.common.db import autocommit
from inferlane.common.nats import NatsConnection
from services.tasks import messages, repository
from services.tasks.domain import Progress, Task


class Watcher:
    def __init__(
        self, engine: AsyncEngine, nats: NatsConnection, poll_seconds: float = 1.0
    ) -> None:
        self._engine = autocommit(engine)  # one read per look: no BEGIN/ROLLBACK round trips
        self._nats = nats
        self._poll = poll_seconds

    async def nudge(self, task: Task, now: datetime | None = None) -> None:
        """Tell followers of `task` to look now (best effort)."""
        client = self._nats.client
        if client is None or not client.is_connected:
            return
        with contextlib.suppress(Exception):
            await client.publish(
                messages.progress_subject(task.id), messages.progress(task, now or utc_now())
            )

    async def follow(
        self, task_id: uuid.UUID, read: Callable[[], Awaitable[Task]]
    ) -> AsyncIterator[Task | Progress]:
        """`read()` is the first look (and its errors, e.g. NOT_FOUND, the stream's first).
        Subscribed before it: a task that ends between the first look and the subscription
        would otherwise wait a whole poll interval for its last update."""
        wake = asyncio.Event()

        async def on_message(_: object) -> None:
            wake.set()

        subscription = None
        client = self._nats.client
        if client is not None and client.is_connected:
            with contextlib.suppress(Exception):
                subscription = await client.subscribe(
                    messages.progress_subject(task_id), cb=on_message
                )
        try:
            last = await read()
            yield last
            if last.is_terminal:
                return
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._poll)
                wake.clear()
                async with self._engine.connect() as conn:
                    current = await repository.get(conn, task_id)
                if current is None:  # deleted under us
                    return
                if current.status != last.status:
                    yield current
                    if current.is_terminal:
                        return
                elif current.progress != last.progress:
                    yield current.progress
                last = current
        finally:
            if subscription is not None:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()
