"""Tasks and model versions at the gRPC level, on a repository with two sentiment versions:
the version is fixed at creation, the worker calls it, and a retired one fails its rows."""

import grpc
import pytest
import tritonclient.grpc as triton_grpc

from inferlane.common.errors import DOMAIN_CODE_KEY
from inferlane.tasks.v1 import tasks_types_pb2 as types
from tests.support import task_calls as calls
from tests.support.accounts import create_account
from tests.support.datasets import upload
from tests.support.grpc_errors import failure, trailer
from tests.support.labelled_reviews import labelled_csv
from tests.support.task_stack import build_worker, worker_settings

pytestmark = pytest.mark.slow


@pytest.fixture
async def stack(stack_of, versioned_triton):
    return await stack_of(
        triton_url=versioned_triton.url,
        workers=0,
        model_repository=versioned_triton.model_repository,
    )


def inferences(triton_url: str, version: str) -> int:
    """Requests Triton answered with this version of sentiment (its own statistics)."""
    client = triton_grpc.InferenceServerClient(triton_url)
    try:
        stats = client.get_inference_statistics("sentiment", version, as_json=True)
    finally:
        client.close()
    return sum(int(m.get("inference_count", 0)) for m in stats["model_stats"])


async def test_create_refuses_unknown_unserved_versions_and_bad_label_columns(
    channels, versioned_triton
):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    late = versioned_triton.model_repository / "sentiment" / "3"
    late.mkdir()  # in the repository, not served: Triton loaded its models before
    try:
        unserved = await failure(calls.create_single(tasks, me.metadata, "hi", version="3"))
    finally:
        late.rmdir()
    assert unserved.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert trailer(unserved, DOMAIN_CODE_KEY) == "version_not_served"
    unknown = await failure(calls.create_single(tasks, me.metadata, "hi", version="9"))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    dataset = await upload(datasets, me.metadata, "labelled.csv", labelled_csv())
    bad = await failure(
        calls.create_batch(tasks, me.metadata, dataset.id, column="review", label_column="stars")
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert trailer(bad, DOMAIN_CODE_KEY) == "01" and "stars" in bad.details()


async def test_a_task_runs_the_version_it_recorded(
    channels, stack, start_process, versioned_triton
):
    auth, _, tasks = channels
    me = await create_account(auth)
    default = await calls.create_single(tasks, me.metadata, "Love it")
    pinned = await calls.create_single(tasks, me.metadata, "Love it", version="1")
    assert (default.version, pinned.version) == ("2", "1")  # newest ready, resolved now
    before = {v: inferences(versioned_triton.url, v) for v in ("1", "2")}
    await start_process(build_worker, worker_settings(stack.settings))
    for task in (default, pinned):
        done = await calls.wait_for(tasks, me.metadata, task.id)
        assert done.status == types.TASK_STATUS_READY and done.version == task.version
    after = {v: inferences(versioned_triton.url, v) for v in ("1", "2")}
    assert (after["1"] - before["1"], after["2"] - before["2"]) == (1, 1)


async def test_rows_of_a_retired_version_fail_with_code_03(
    channels, stack, start_process, versioned_triton
):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    dataset = await upload(datasets, me.metadata, "labelled.csv", labelled_csv())
    task = await calls.create_batch(tasks, me.metadata, dataset.id, column="review", version="2")
    folder = versioned_triton.model_repository / "sentiment" / "2"
    retired = folder.with_name("2.retired")
    folder.rename(retired)  # retiring is a repository change
    try:
        await start_process(build_worker, worker_settings(stack.settings))
        done = await calls.wait_for(tasks, me.metadata, task.id)
        results = await calls.all_results(tasks, me.metadata, task.id)
    finally:
        retired.rename(folder)
    assert done.status == types.TASK_STATUS_READY
    assert done.progress.failed == done.progress.total == len(results)
    codes = {r.error.code for r in results}
    assert codes == {"01", "03"}  # the empty text is refused before any model call
    assert all("version 2" in r.error.message for r in results if r.error.code == "03")
