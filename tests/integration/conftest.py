"""In-process gRPC processes on port 0, built by the same `build()` as `python -m`, and the
fixtures several test modules share. A module that needs another shape of one (its own `stack`,
`api` or `stack_of`) defines it locally, which overrides the one here."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import pytest

from inferlane.common.grpc.server import GrpcProcess
from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from tests.support import search_reviews as reviews
from tests.support import task_calls as calls
from tests.support.accounts import create_account
from tests.support.datasets import upload
from tests.support.gateway_tasks import Api, tasks_api
from tests.support.in_process import Starter, fast
from tests.support.model_versions import two_version_repository
from tests.support.servers import Triton
from tests.support.task_stack import start_task_stack


@pytest.fixture
async def start_process() -> AsyncIterator[Starter]:
    started: list[GrpcProcess] = []

    async def start(build: Callable[[Any], Awaitable[GrpcProcess]], settings: Any) -> GrpcProcess:
        process = await build(settings)
        await process.start()
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        await process.stop(grace=0)


@pytest.fixture
async def auth_server(
    migrated_db: str, nats_url: str, tmp_path, start_process: Starter
) -> GrpcProcess:
    """A real auth service (in-process, port 0) with its own signing key."""
    settings = fast(
        AuthSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        signing_key_file=tmp_path / "signing-key.pem",
    )
    return await start_process(build_auth, settings)


@pytest.fixture
async def auth_channel(auth_server: GrpcProcess) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(auth_server.address) as channel:
        yield channel


# -- the task pipeline over gRPC ------------------------------------------------------------


@pytest.fixture
async def stack(stack_of):
    """The task pipeline with one worker, able to index embeddings (test_tasks_search)."""
    return await stack_of(worker_extra={"vector_index_min_rows": 10})  # small tasks get an index


@pytest.fixture
async def searchable(stack):
    """(tasks channel, owner, dataset id, the ready embedding task) over the review groups."""
    async with stack.channel(stack.auth) as auth, stack.channel(stack.datasets) as datasets:
        me = await create_account(auth)
        dataset = await upload(datasets, me.metadata, "reviews.csv", reviews.reviews_csv())
    async with stack.channel(stack.tasks) as tasks:
        task = await calls.create_batch(
            tasks, me.metadata, dataset.id, column="review", model="embedding"
        )
        done = await calls.wait_for(tasks, me.metadata, task.id)
        assert calls.status_name(done) == "TASK_STATUS_READY", done
        yield tasks, me, dataset.id, done


@pytest.fixture
async def channels(stack):
    """(auth, datasets, tasks) channels to the test module's `stack`."""
    async with (
        stack.channel(stack.auth) as auth,
        stack.channel(stack.datasets) as datasets,
        stack.channel(stack.tasks) as tasks,
    ):
        yield auth, datasets, tasks


@pytest.fixture(scope="module")
def versioned_triton(tmp_path_factory):
    """A Triton serving two versions of sentiment (test_model_versions)."""
    root = tmp_path_factory.mktemp("versions")
    server = Triton(root, two_version_repository(root))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stack_of(own_nats, start_process, migrated_db, triton, tmp_path):
    """Starts task stacks on demand (test_tasks_crash): `await stack_of(workers=0)`."""

    async def make(**options):
        options.setdefault("triton_url", triton.url)
        return await start_task_stack(
            start_process,
            database_url=migrated_db,
            nats_url=own_nats.url,
            work_dir=tmp_path,
            **options,
        )

    return make


# -- the task pipeline behind the gateway --------------------------------------------------


@pytest.fixture
async def api(own_nats, start_process, migrated_db, triton, tmp_path) -> AsyncIterator[Api]:
    """The whole pipeline behind a gateway, with one worker (test_gateway_tasks)."""
    async for value in tasks_api(start_process, migrated_db, own_nats.url, triton, tmp_path):
        yield value


@pytest.fixture
async def idle(own_nats, start_process, migrated_db, triton, tmp_path) -> AsyncIterator[Api]:
    """No worker (tasks stay queued) and at most two unfinished tasks per user."""
    async for value in tasks_api(
        start_process,
        migrated_db,
        own_nats.url,
        triton,
        tmp_path,
        workers=0,
        tasks_extra={"max_active_per_user": 2},
    ):
        yield value
