"""The JetStream streams of the task pipeline, declared idempotently at start.

File storage so that accepted work survives a NATS restart. In production run
nats-server with `sync_interval: always` (see k8s/) so an acked publish is on disk.
"""

import dataclasses

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from inferlane.common.nats import ensure_stream

WORK = StreamConfig(
    name="TASKS_WORK",
    description="Work queue: one message per task chunk, removed once a worker acks it.",
    subjects=["tasks.work"],
    retention=RetentionPolicy.WORK_QUEUE,
    storage=StorageType.FILE,
    duplicate_window=120.0,  # seconds; Nats-Msg-Id dedupe for outbox retries
)
EVENTS = StreamConfig(
    name="TASKS_EVENTS",
    description="Task lifecycle and progress events, kept for a day for late subscribers.",
    subjects=["tasks.task.>", "tasks.progress.>"],
    retention=RetentionPolicy.LIMITS,
    storage=StorageType.FILE,
    max_age=24 * 3600.0,
    discard=DiscardPolicy.OLD,
)
DEAD_LETTERS = StreamConfig(
    name="TASKS_DEAD_LETTERS",
    description="Work that failed past its retry budget, for an admin to inspect and replay.",
    subjects=["tasks.dead.>"],
    retention=RetentionPolicy.LIMITS,
    storage=StorageType.FILE,
)
ALL = (WORK, EVENTS, DEAD_LETTERS)


async def declare_streams(js: JetStreamContext, replicas: int = 1) -> None:
    for config in ALL:
        await ensure_stream(js, dataclasses.replace(config, num_replicas=replicas))
