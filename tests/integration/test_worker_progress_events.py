"""A worker's progress events through real NATS: at most one per task per interval, and what
the interval held back is published when it ends, the newest state winning. Before, a held
back state was dropped, so a watcher could see 0 and then, a chunk later, 480 rows."""

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import nats

from inferlane.common.nats import NatsConnection
from inferlane.events.v1 import events_pb2
from services.tasks import messages
from services.tasks.domain import Progress, Status, Task, TaskType
from services.tasks.worker.progress import ProgressPublisher

INTERVAL = 1.0  # far longer than the few statements between the calls below


def _running(done: int) -> Task:
    return Task(
        id=uuid.UUID(int=7),
        owner_id=uuid.uuid4(),
        type=TaskType.BATCH,
        model="sentiment",
        status=Status.RUNNING,
        progress=Progress(done, 3000, 0),
        input=None,
        dataset_id=uuid.uuid4(),
        column="review",
        row_limit=None,
        labels=[],
        input_columns=["review"],
        summary=None,
        error_code=None,
        error_message=None,
        created_at=datetime.now(UTC),
    )


async def test_held_back_progress_is_published_when_the_interval_ends(nats_url):
    watcher = await nats.connect(nats_url)
    connection = NatsConnection(nats_url, "progress-test")
    connection.start()
    try:
        await connection.wait_connected(10)
        task = _running(0)
        seen: asyncio.Queue[int] = asyncio.Queue()

        async def on_message(msg) -> None:
            await seen.put(events_pb2.TaskProgress.FromString(msg.data).done)

        await watcher.subscribe(messages.progress_subject(task.id), cb=on_message)
        await watcher.flush()
        publish = ProgressPublisher(connection, INTERVAL)

        publish(task, True)  # the task starts running: sent at once
        publish(replace(task, progress=Progress(32, 3000, 0)))  # within the interval: held
        publish(replace(task, progress=Progress(96, 3000, 0)))  # the newer one wins
        assert await asyncio.wait_for(seen.get(), 10) == 0
        assert await asyncio.wait_for(seen.get(), 10) == 96  # when the interval ended

        publish(replace(task, progress=Progress(224, 3000, 0)))  # held again
        publish(replace(task, status=Status.READY, progress=Progress(3000, 3000, 0)), True)
        assert await asyncio.wait_for(seen.get(), 10) == 3000  # the end goes out at once...
        await asyncio.sleep(INTERVAL * 1.5)
        assert seen.empty()  # ...and the older state it overtook is not sent after it
    finally:
        await watcher.close()
        await connection.close()
