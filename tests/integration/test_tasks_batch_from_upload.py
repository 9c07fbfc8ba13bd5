"""CreateBatchFromUpload over gRPC: the tasks service (in-process, port 0) stores the file
through the real datasets service and starts a batch task over it, against real PostgreSQL,
NATS and the inference service (no worker: tasks stay queued)."""

from collections.abc import AsyncIterator, Iterable

import grpc
import pytest

from inferlane.common.errors import DOMAIN_CODE_KEY
from inferlane.datasets.v1 import datasets_service_pb2 as datasets_pb
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_types_pb2 as types
from tests.support import datasets as dataset_calls
from tests.support.accounts import Account, create_account
from tests.support.task_calls import reviews_csv, stub

pytestmark = pytest.mark.slow

Message = pb.CreateBatchFromUploadRequest


@pytest.fixture
async def stack(stack_of):
    return await stack_of(workers=0, tasks_extra={"max_active_per_user": 2, "create_burst": 50})


def spec(model: str = "sentiment", **fields: object) -> pb.BatchTaskSpec:
    return pb.BatchTaskSpec(model=model, **fields)  # type: ignore[arg-type]


def start(
    filename: str = "reviews.csv", *, key: str = "", first: pb.BatchTaskSpec | None = None
) -> Message:
    message = pb.BatchUploadStart(filename=filename, content_type="text/csv", idempotency_key=key)
    if first is not None:
        message.spec.CopyFrom(first)
    return Message(start=message)


def messages(head: Message, data: bytes, last: pb.BatchTaskSpec | None = None) -> list[Message]:
    """start, the file in 64 KiB chunks, then `last` (the spec after the bytes) if given."""
    chunks = [Message(chunk=c) for c in dataset_calls.split(data)]
    return [head, *chunks, *([Message(spec=last)] if last is not None else [])]


async def stream(items: Iterable[Message]) -> AsyncIterator[Message]:
    for item in items:
        yield item


async def run(tasks: grpc.aio.Channel, me: Account, items: Iterable[Message]) -> types.Task:
    reply = await stub(tasks).CreateBatchFromUpload(stream(items), metadata=me.metadata)
    return reply.task


async def refusal(
    tasks: grpc.aio.Channel, me: Account, items: Iterable[Message]
) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await run(tasks, me, items)
    return info.value


def domain_code(exc: grpc.aio.AioRpcError) -> str | None:
    return dict(exc.trailing_metadata() or ()).get(DOMAIN_CODE_KEY)


async def dataset_ids(datasets: grpc.aio.Channel, me: Account) -> list[str]:
    reply = await dataset_calls.stub(datasets).ListDatasets(
        datasets_pb.ListDatasetsRequest(page_size=100), metadata=me.metadata
    )
    return [d.id for d in reply.datasets]


async def test_the_spec_before_or_after_the_file_starts_a_task_over_the_upload(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    several_chunks = reviews_csv(3000)
    before = await run(tasks, me, messages(start(first=spec(limit=2)), several_chunks))
    after = await run(tasks, me, messages(start("late.csv"), reviews_csv(4), spec(column="review")))
    assert before.type == after.type == types.TASK_TYPE_BATCH
    assert before.status in {types.TASK_STATUS_ACCEPTED, types.TASK_STATUS_QUEUED}
    assert (before.model, before.limit, before.progress.total) == ("sentiment", 2, 2)
    assert (after.column, after.progress.total, after.dataset_name) == ("review", 4, "late.csv")
    assert sorted(await dataset_ids(datasets, me)) == sorted([before.dataset_id, after.dataset_id])
    stored = await dataset_calls.read_all(datasets, me.metadata, after.dataset_id, "review")
    assert len(stored) == 4


async def test_a_replay_returns_the_first_task_and_keeps_no_second_dataset(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    first = await run(tasks, me, messages(start(key="k-1"), reviews_csv(3), spec()))
    again = await run(tasks, me, messages(start(key="k-1", first=spec()), reviews_csv(3)))
    assert again.id == first.id and again.dataset_id == first.dataset_id
    other_spec = await refusal(
        tasks, me, messages(start(key="k-1"), reviews_csv(3), spec("embedding"))
    )
    other_file = await refusal(tasks, me, messages(start(key="k-1"), reviews_csv(4), spec()))
    for refused in (other_spec, other_file):
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and domain_code(refused) == "01"
    assert await dataset_ids(datasets, me) == [first.dataset_id]


async def test_a_task_that_cannot_be_created_deletes_the_uploaded_dataset(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    no_column = await refusal(tasks, me, messages(start(), reviews_csv(3), spec(column="nope")))
    assert no_column.code() == grpc.StatusCode.INVALID_ARGUMENT and "nope" in no_column.details()
    assert domain_code(no_column) == "01"
    no_model = await refusal(tasks, me, messages(start(), reviews_csv(3), spec("no-such-model")))
    assert no_model.code() == grpc.StatusCode.INVALID_ARGUMENT
    no_spec = await refusal(tasks, me, messages(start(), reviews_csv(3)))
    assert no_spec.code() == grpc.StatusCode.INVALID_ARGUMENT and domain_code(no_spec) == "01"
    assert await dataset_ids(datasets, me) == []
    # At most two unfinished tasks: the third is refused and its upload removed.
    kept = [
        (await run(tasks, me, messages(start(), reviews_csv(2), spec()))).dataset_id
        for _ in range(2)
    ]
    full = await refusal(tasks, me, messages(start(), reviews_csv(2), spec()))
    assert full.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert sorted(await dataset_ids(datasets, me)) == sorted(kept)


async def test_an_invalid_upload_is_refused_and_stores_nothing(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    unreadable = await refusal(tasks, me, messages(start(), b"\x00\x01\x02binary", spec()))
    assert unreadable.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert domain_code(unreadable) == "02"
    no_start = await refusal(tasks, me, [Message(chunk=reviews_csv(2)), Message(spec=spec())])
    assert no_start.code() == grpc.StatusCode.INVALID_ARGUMENT and domain_code(no_start) == "01"
    empty = await refusal(tasks, me, [])
    assert empty.code() == grpc.StatusCode.INVALID_ARGUMENT
    twice = messages(start(first=spec()), reviews_csv(2), spec())
    chunk_after_spec = [*messages(start(), reviews_csv(2), spec()), Message(chunk=b"more")]
    second_start = [*messages(start(), reviews_csv(2)), start(), Message(spec=spec())]
    for items in (twice, chunk_after_spec, second_start):
        refused = await refusal(tasks, me, items)
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and domain_code(refused) == "01"
    assert await dataset_ids(datasets, me) == []
    anonymous = await refusal(
        tasks, Account("", "", "", "not-a-token", ""), messages(start(), reviews_csv(2), spec())
    )
    assert anonymous.code() == grpc.StatusCode.UNAUTHENTICATED
