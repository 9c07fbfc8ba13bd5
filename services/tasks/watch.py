"""Following one task live: the task first, progress while it runs, the task again at each
status change, the end after a terminal status.

The database is the truth; NATS only says "look now" (workers publish progress on
tasks.progress.<id>). A missed message costs at most one poll interval, never a wrong answer,
and NATS being down only makes updates slower. The poll is one statement per interval for all
the tasks this process follows (the sweep), not one per follower: a burst of a thousand
waiting clients would otherwise read a thousand rows a second.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import utc_now
from inferlane.common.db import autocommit
from inferlane.common.nats import NatsConnection
from services.tasks import messages, repository
from services.tasks.domain import Progress, Task

log = structlog.get_logger(__name__)

State = tuple[str, int, int]  # status, done, failed: what a follower compares


@dataclass(eq=False)  # by identity: one task may have many followers in a set
class _Follower:
    seen: State  # the task as this follower last looked at it
    wake: asyncio.Event


def _state(task: Task) -> State:
    return task.status.value, task.progress.done, task.progress.failed


class Watcher:
    def __init__(
        self, engine: AsyncEngine, nats: NatsConnection, poll_seconds: float = 1.0
    ) -> None:
        self._engine = autocommit(engine)  # one read per look: no BEGIN/ROLLBACK round trips
        self._nats = nats
        self._poll = poll_seconds
        self._followers: dict[uuid.UUID, set[_Follower]] = {}
        self._sweeper: asyncio.Task[None] | None = None

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
        follower: _Follower | None = None
        try:
            last = await read()
            yield last
            if last.is_terminal:
                return
            follower = _Follower(_state(last), wake)
            self._add(task_id, follower)
            while True:
                await wake.wait()  # a nudge, or the sweep saw the row change
                wake.clear()
                async with self._engine.connect() as conn:
                    current = await repository.get(conn, task_id)
                if current is None:  # deleted under us
                    return
                follower.seen = _state(current)
                if current.status != last.status:
                    yield current
                    if current.is_terminal:
                        return
                elif current.progress != last.progress:
                    yield current.progress
                last = current
        finally:
            if follower is not None:
                self._remove(task_id, follower)
            if subscription is not None:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    def _add(self, task_id: uuid.UUID, follower: _Follower) -> None:
        self._followers.setdefault(task_id, set()).add(follower)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    def _remove(self, task_id: uuid.UUID, follower: _Follower) -> None:
        followers = self._followers.get(task_id)
        if followers is not None:
            followers.discard(follower)
            if not followers:
                del self._followers[task_id]

    async def _sweep(self) -> None:
        """Every poll interval while anyone follows: one read of every followed task's state,
        and a wake for each follower whose task changed (or is gone) since its last look."""
        while self._followers:
            await asyncio.sleep(self._poll)
            task_ids = list(self._followers)
            if not task_ids:
                continue  # everyone left while it slept
            try:
                async with self._engine.connect() as conn:
                    now = await repository.states(conn, task_ids)
            except Exception as exc:  # the database restarting: look again next interval
                log.warning("watched tasks not read", error=str(exc))
                continue
            for task_id in task_ids:
                for follower in self._followers.get(task_id, ()):
                    if now.get(task_id) != follower.seen:
                        follower.wake.set()
