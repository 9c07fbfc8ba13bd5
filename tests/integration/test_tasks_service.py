"""The tasks service's rules over gRPC, with no worker running: validation, idempotency,
back-pressure, listing, cancelling, the queued status set by the outbox relay."""

import asyncio

import grpc
import pytest
from nats.aio.client import Client as NATS
from prometheus_client import REGISTRY

from inferlane.common.errors import DOMAIN_CODE_KEY, RETRY_AFTER_KEY
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_types_pb2 as types
from tests.support import task_calls as calls
from tests.support.accounts import create_account
from tests.support.datasets import upload
from tests.support.grpc_errors import failure, trailer

pytestmark = pytest.mark.slow


@pytest.fixture
async def stack(stack_of):
    return await stack_of(workers=0, tasks_extra={"max_active_per_user": 3, "create_burst": 50})


def get_dataset_calls() -> float:
    """GetDataset RPCs the datasets service has answered, from its own metric (it runs in
    this process, so the tasks service's calls to it are counted here)."""
    labels = {"method": "/inferlane.datasets.v1.DatasetsService/GetDataset", "code": "OK"}
    return REGISTRY.get_sample_value("inferlane_grpc_server_handled_total", labels) or 0.0


async def test_work_reaches_the_queue_and_the_task_becomes_queued(channels, own_nats):
    auth, _, tasks = channels
    me = await create_account(auth)
    created = await calls.create_single(tasks, me.metadata, "nice")
    queued = await calls.wait_for(tasks, me.metadata, created.id, {types.TASK_STATUS_QUEUED}, 10)
    assert queued.HasField("queued_at") and not queued.HasField("started_at")
    nc = NATS()
    await nc.connect(own_nats.url)
    info = await nc.jetstream().stream_info("TASKS_WORK")
    await nc.close()
    assert info.state.messages == 1


async def test_invalid_inputs_are_refused_with_code_01(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    too_long = await failure(calls.create_single(tasks, me.metadata, "x" * 513))
    assert too_long.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert trailer(too_long, DOMAIN_CODE_KEY) == "01" and "512" in too_long.details()
    unknown_model = await failure(calls.create_single(tasks, me.metadata, "hi", model="nope"))
    assert unknown_model.code() == grpc.StatusCode.INVALID_ARGUMENT
    empty = await failure(calls.create_single(tasks, me.metadata, "   "))
    assert empty.code() == grpc.StatusCode.INVALID_ARGUMENT
    dataset = await upload(datasets, me.metadata, "r.csv", calls.reviews_csv(5))
    no_column = await failure(calls.create_batch(tasks, me.metadata, dataset.id, column="nope"))
    assert no_column.code() == grpc.StatusCode.INVALID_ARGUMENT and "nope" in no_column.details()
    bad_limit = await failure(calls.create_batch(tasks, me.metadata, dataset.id, limit=0))
    assert bad_limit.code() == grpc.StatusCode.INVALID_ARGUMENT
    nothing = await failure(
        calls.stub(tasks).CreateTask(pb.CreateTaskRequest(), metadata=me.metadata)
    )
    assert nothing.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_someone_elses_dataset_and_task_are_not_found(channels):
    auth, datasets, tasks = channels
    alice, bob = await create_account(auth), await create_account(auth)
    dataset = await upload(datasets, alice.metadata, "r.csv", calls.reviews_csv(5))
    stolen = await failure(calls.create_batch(tasks, bob.metadata, dataset.id))
    assert stolen.code() == grpc.StatusCode.NOT_FOUND
    task = await calls.create_single(tasks, alice.metadata, "mine")
    for call in (
        calls.get(tasks, bob.metadata, task.id),
        calls.stub(tasks).CancelTask(pb.CancelTaskRequest(task_id=task.id), metadata=bob.metadata),
        calls.all_results(tasks, bob.metadata, task.id),
        calls.export(tasks, bob.metadata, task.id, types.EXPORT_FORMAT_CSV),
        calls.get(tasks, bob.metadata, "not-a-uuid"),
    ):
        assert (await failure(call)).code() == grpc.StatusCode.NOT_FOUND
    listed = await calls.stub(tasks).ListTasks(pb.ListTasksRequest(), metadata=bob.metadata)
    assert list(listed.tasks) == []


async def test_same_idempotency_key_returns_the_first_task_and_a_new_body_is_refused(channels):
    auth, _, tasks = channels
    me = await create_account(auth)
    first = await calls.create_single(tasks, me.metadata, "same", key="k-1")
    again = await calls.create_single(tasks, me.metadata, "same", key="k-1")
    assert again.id == first.id
    other = await failure(calls.create_single(tasks, me.metadata, "different", key="k-1"))
    assert other.code() == grpc.StatusCode.INVALID_ARGUMENT and "Idempotency-Key" in other.details()
    racing = await asyncio.gather(
        *(calls.create_single(tasks, me.metadata, "race", key="k-2") for _ in range(5))
    )
    assert len({t.id for t in racing}) == 1


async def test_too_many_unfinished_tasks_is_resource_exhausted_with_retry_after(channels):
    auth, _, tasks = channels
    me = await create_account(auth)
    for i in range(3):  # max_active_per_user=3, and no worker runs them
        await calls.create_single(tasks, me.metadata, f"t{i}")
    refused = await failure(calls.create_single(tasks, me.metadata, "one more"))
    assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert float(trailer(refused, RETRY_AFTER_KEY) or 0) > 0
    someone_else = await create_account(auth)
    await calls.create_single(tasks, someone_else.metadata, "not affected")


async def test_cancel_ends_an_unfinished_task_once(channels):
    auth, _, tasks = channels
    me = await create_account(auth)
    task = await calls.create_single(tasks, me.metadata, "cancel me")
    stub = calls.stub(tasks)
    reply = await stub.CancelTask(pb.CancelTaskRequest(task_id=task.id), metadata=me.metadata)
    assert reply.task.status == types.TASK_STATUS_CANCELLED and reply.task.HasField("finished_at")
    again = await failure(
        stub.CancelTask(pb.CancelTaskRequest(task_id=task.id), metadata=me.metadata)
    )
    assert again.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_list_filters_by_status_and_model_and_pages_newest_first(channels):
    auth, _, tasks = channels
    me = await create_account(auth)
    made = [await calls.create_single(tasks, me.metadata, f"t{i}") for i in range(3)]
    stub = calls.stub(tasks)
    await stub.CancelTask(pb.CancelTaskRequest(task_id=made[0].id), metadata=me.metadata)
    page1 = await stub.ListTasks(pb.ListTasksRequest(page_size=2), metadata=me.metadata)
    page2 = await stub.ListTasks(
        pb.ListTasksRequest(page_size=2, page_token=page1.next_page_token), metadata=me.metadata
    )
    assert [t.id for t in [*page1.tasks, *page2.tasks]] == [t.id for t in reversed(made)]
    assert page2.next_page_token == ""
    cancelled = await stub.ListTasks(
        pb.ListTasksRequest(status=types.TASK_STATUS_CANCELLED), metadata=me.metadata
    )
    assert [t.id for t in cancelled.tasks] == [made[0].id]
    other_model = await stub.ListTasks(pb.ListTasksRequest(model="embedding"), metadata=me.metadata)
    assert list(other_model.tasks) == []


async def test_dead_letter_rpcs_are_admin_only(channels):
    auth, _, tasks = channels
    me = await create_account(auth)
    stub = calls.stub(tasks)
    refused = await failure(stub.ListDeadLetters(pb.ListDeadLettersRequest(), metadata=me.metadata))
    assert refused.code() == grpc.StatusCode.PERMISSION_DENIED
    replay = await failure(
        stub.ReplayDeadLetter(pb.ReplayDeadLetterRequest(dead_letter_id="x"), metadata=me.metadata)
    )
    assert replay.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("by_content", "key"), [(False, ""), (True, "same-file"), (True, "")], ids=str
)
async def test_creating_a_batch_task_reads_its_dataset_once(channels, by_content, key):
    """Matching a replay by content needs the dataset's sha256 before the task is built;
    the same answer serves both."""
    auth, datasets, tasks = channels
    me = await create_account(auth)
    dataset = await upload(datasets, me.metadata, "r.csv", calls.reviews_csv(3))
    batch = pb.BatchTaskSpec(
        model="sentiment", dataset_id=dataset.id, match_dataset_by_content=by_content
    )
    before = get_dataset_calls()
    await calls.stub(tasks).CreateTask(
        pb.CreateTaskRequest(batch=batch, idempotency_key=key), metadata=me.metadata
    )
    assert get_dataset_calls() - before == 1
