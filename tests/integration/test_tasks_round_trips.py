"""SQL statements per hot-path operation of tasks, as upper bounds (issue 16).

Database round trips are most of the platform's own CPU per single task (docs/benchmarks.md,
"The platform's own cost"). A statement count, unlike a timing, is the same on a loaded
machine, so it is what these tests hold: a change that adds a round trip to a hot path fails
here and has to lower a bound somewhere else or say why.

The tasks service and the worker's chunk runner are driven directly, on an engine of the
test's own (so the relays, janitors and pollers of the processes are not counted), against
real auth, datasets and inference processes, real PostgreSQL and Triton.

Statements (BEGIN, COMMIT and ROLLBACK included: each is a round trip) measured on main at
d62aebd, before issue 16's cuts; the bounds below are what the code sends now (since
2026-12-07 a task of up to 64 chunks is created in one statement, besides the rate bucket's
upsert, and the worker finishes a single task in one, after its read of the task):
  CreateTask, single task ..................... 13
  a single task's run by the worker ........... 15
  CreateTask, batch of 600 rows (5 chunks) .... 20
  a batch's first chunk (starts the task) ..... 14
  a middle chunk .............................. 13
  the last chunk (finishes the task) .......... 16
  GetTask of a single task (a poll) ........... 3
  GetTask of a batch task ..................... 4
"""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common import principal
from inferlane.common.auth.service_credentials import ServiceCredentials
from inferlane.common.db import make_engine
from inferlane.common.grpc.client import channel
from inferlane.common.nats import NatsConnection
from inferlane.events.v1 import events_pb2
from services.tasks import lifecycle, messages, repository
from services.tasks.domain import Chunk, Status, Task, plan_chunks
from services.tasks.peers import Peers
from services.tasks.service import Limits, TasksService
from services.tasks.specs import BatchSpec, SingleSpec
from services.tasks.watch import Watcher
from services.tasks.worker.chunks import ChunkRunner, Delivery, Outcome
from tests.support import task_calls as calls
from tests.support.accounts import create_account
from tests.support.datasets import upload
from tests.support.sql_count import counting
from tests.support.task_stack import start_peers

pytestmark = pytest.mark.slow

SINGLE_CREATE = 2
SINGLE_RUN = 2
BATCH_CREATE = 2
FIRST_CHUNK = 8
MIDDLE_CHUNK = 8
LAST_CHUNK = 11
SINGLE_GET = 1
BATCH_GET = 2

BATCH_ROWS = 600
CHUNK_ROWS = 256


@dataclass
class Parts:
    engine: AsyncEngine
    service: TasksService
    runner: ChunkRunner
    owner: uuid.UUID
    dataset_id: str


@pytest.fixture
async def parts(
    start_process: Any, migrated_db: str, nats_url: str, triton: Any, tmp_path: Any
) -> AsyncIterator[Parts]:
    peers = await start_peers(
        start_process,
        database_url=migrated_db,
        nats_url=nats_url,
        triton_url=triton.url,
        work_dir=tmp_path,
    )
    auth = channel(peers.auth.address)
    datasets = channel(peers.datasets.address)
    inference = channel(peers.inference.address)
    me = await create_account(auth)
    dataset = await upload(datasets, me.metadata, "r.csv", calls.reviews_csv(BATCH_ROWS))
    # The service's calls to datasets and inference carry the caller's token, as in a request.
    principal.bind(principal.Principal(me.user_id, principal.USER, me.access_token))
    engine = make_engine(migrated_db)
    unstarted = NatsConnection(nats_url, name="round-trips")  # nudges are skipped: not counted
    service = TasksService(
        engine,
        Peers(datasets, inference),
        Watcher(engine, unstarted),
        Limits(chunk_rows=CHUNK_ROWS, create_burst=100),
    )
    runner = ChunkRunner(
        engine,
        Peers(datasets, inference),
        ServiceCredentials(auth, peers.service_key).metadata,
        predict_rows=64,
        on_progress=lambda task, final: None,
    )
    try:
        # Warm: connections opened, the model's shape cached, the owner's rate bucket made.
        await run_single(service, runner, uuid.UUID(me.user_id))
        yield Parts(engine, service, runner, uuid.UUID(me.user_id), dataset.id)
    finally:
        principal.bind(None)
        await engine.dispose()
        for ch in (auth, datasets, inference):
            await ch.close(None)


async def run_single(service: TasksService, runner: ChunkRunner, owner: uuid.UUID) -> Task:
    view = await service.create(
        owner, SingleSpec("sentiment", {"text": "Lovely, fits well."}), None
    )
    await queued(service, view.task)
    assert await runner.run(delivery(view.task, Chunk(view.task.id, 0, 0, 1))) is Outcome.DONE
    return view.task


async def queued(service: TasksService, task: Task) -> None:
    """What the outbox relay does once the work is on the queue (not counted here)."""
    async with service._engine.begin() as conn:
        await lifecycle.mark_queued(conn, [{messages.TASK_HEADER: str(task.id)}])


def delivery(task: Task, chunk: Chunk) -> Delivery:
    payload = messages.work(task, chunk, task.created_at)
    return Delivery(events_pb2.TaskWork.FromString(payload), payload, attempt=1)


async def status_of(engine: AsyncEngine, task_id: uuid.UUID) -> Status:
    async with engine.connect() as conn:
        found = await repository.get(conn, task_id)
    assert found is not None
    return found.status


async def test_creating_a_single_task_stays_within_its_statements(parts: Parts) -> None:
    spec = SingleSpec("sentiment", {"text": "Runs small, lovely fabric."})
    with counting(parts.engine) as sent:
        view = await parts.service.create(parts.owner, spec, None)
    assert view.task.status is Status.ACCEPTED
    assert sent.count <= SINGLE_CREATE, str(sent)


async def test_a_single_tasks_run_by_the_worker_stays_within_its_statements(
    parts: Parts,
) -> None:
    spec = SingleSpec("sentiment", {"text": "Broke after a week."})
    task = (await parts.service.create(parts.owner, spec, None)).task
    await queued(parts.service, task)
    with counting(parts.engine) as sent:
        outcome = await parts.runner.run(delivery(task, Chunk(task.id, 0, 0, 1)))
    assert outcome is Outcome.DONE
    assert await status_of(parts.engine, task.id) is Status.READY
    assert sent.count <= SINGLE_RUN, str(sent)
    with counting(parts.engine) as sent:
        view = await parts.service.get(parts.owner, str(task.id))
    assert view.task.summary is not None
    assert sent.count <= SINGLE_GET, str(sent)


async def test_a_batch_task_stays_within_its_statements(parts: Parts) -> None:
    spec = BatchSpec("sentiment", parts.dataset_id, column="review", limit=None)
    with counting(parts.engine) as sent:
        view = await parts.service.create(parts.owner, spec, None)
    task = view.task
    chunks = plan_chunks(task.id, BATCH_ROWS, CHUNK_ROWS)
    assert len(chunks) >= 4 and task.progress.total == BATCH_ROWS
    assert sent.count <= BATCH_CREATE, str(sent)

    await queued(parts.service, task)
    first, *middle, last = chunks
    with counting(parts.engine) as sent:
        assert await parts.runner.run(delivery(task, first)) is Outcome.DONE
    assert sent.count <= FIRST_CHUNK, str(sent)
    for chunk in middle[:-1]:
        assert await parts.runner.run(delivery(task, chunk)) is Outcome.DONE
    with counting(parts.engine) as sent:
        assert await parts.runner.run(delivery(task, middle[-1])) is Outcome.DONE
    assert sent.count <= MIDDLE_CHUNK, str(sent)
    with counting(parts.engine) as sent:
        assert await parts.runner.run(delivery(task, last)) is Outcome.DONE
    assert sent.count <= LAST_CHUNK, str(sent)

    assert await status_of(parts.engine, task.id) is Status.READY
    with counting(parts.engine) as sent:
        view = await parts.service.get(parts.owner, str(task.id))
    assert sent.count <= BATCH_GET, str(sent)
    assert view.batch is not None
    assert sum(view.batch.counts.values()) + view.batch.failed == BATCH_ROWS
