"""Tasks end to end over gRPC: service, outbox relay, JetStream, worker, datasets, inference,
Triton, PostgreSQL — all real, in one process."""

import csv
import io
import json

import pytest

from inferlane.common import structs
from inferlane.tasks.v1 import tasks_types_pb2 as types
from services.inference import servicer as inference_servicer
from services.tasks.domain import chunk_sizes
from tests.support import task_calls as calls
from tests.support import task_processes as procs
from tests.support.accounts import create_account
from tests.support.datasets import upload

pytestmark = pytest.mark.slow


@pytest.fixture
async def stack(stack_of):
    return await stack_of()


async def test_single_task_runs_to_ready_with_label_and_scores(channels):
    auth, _, tasks = channels
    me = await create_account(auth)
    created = await calls.create_single(tasks, me.metadata, "I love it, best purchase ever!")
    assert created.status == types.TASK_STATUS_ACCEPTED and created.progress.total == 1
    done = await calls.wait_for(tasks, me.metadata, created.id)
    assert calls.status_name(done) == "TASK_STATUS_READY", done
    single = done.summary.single
    assert single.label == "positive"
    assert set(single.scores) == {"negative", "neutral", "positive"}
    assert abs(sum(single.scores.values()) - 1) < 1e-4
    assert done.progress.done == 1 and done.progress.failed == 0
    for stamp in ("created_at", "queued_at", "started_at", "finished_at"):
        assert done.HasField(stamp), stamp
    assert (
        done.queued_at.ToDatetime() <= done.started_at.ToDatetime() <= done.finished_at.ToDatetime()
    )


async def test_batch_task_stores_exactly_one_result_per_row_and_summarises(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    rows = 600  # six chunks: 32, 32, 64, 128, 256, 88
    dataset = await upload(datasets, me.metadata, "reviews.csv", calls.reviews_csv(rows))
    created = await calls.create_batch(tasks, me.metadata, dataset.id, column="review")
    done = await calls.wait_for(tasks, me.metadata, created.id)
    assert calls.status_name(done) == "TASK_STATUS_READY", done
    assert (done.progress.done, done.progress.total, done.progress.failed) == (rows, rows, 0)
    results = await calls.all_results(tasks, me.metadata, created.id)
    assert [r.row_index for r in results] == list(range(rows))
    assert all(r.WhichOneof("outcome") == "output" for r in results)
    assert results[0].input["review"].startswith("Absolutely love it")
    counts = dict(done.summary.batch.counts)
    assert sum(counts.values()) == rows and set(counts) == {"negative", "neutral", "positive"}
    assert counts["positive"] >= rows // 3 - 20 and counts["negative"] >= rows // 3 - 20
    assert abs(sum(done.summary.batch.percentages.values()) - 100) < 0.1


async def test_rows_that_cannot_go_to_the_model_fail_alone_with_code_01(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    records = [
        {"review": "fine product"},
        {"review": "x" * 600},
        {"review": 42},
        {"review": None},
        {"review": "good value"},
    ]
    data = "\n".join(json.dumps(r) for r in records).encode()
    dataset = await upload(datasets, me.metadata, "mixed.jsonl", data)
    created = await calls.create_batch(tasks, me.metadata, dataset.id, column="review")
    done = await calls.wait_for(tasks, me.metadata, created.id)
    assert calls.status_name(done) == "TASK_STATUS_READY"
    assert (done.progress.done, done.progress.failed) == (5, 3)
    results = await calls.all_results(tasks, me.metadata, created.id)
    errors = {r.row_index: r.error for r in results if r.WhichOneof("outcome") == "error"}
    assert set(errors) == {1, 2, 3} and {e.code for e in errors.values()} == {"01"}
    assert "512" in errors[1].message and "text" in errors[2].message
    assert done.summary.batch.failed == 3
    assert sum(done.summary.batch.counts.values()) == 2


async def test_a_tabular_model_over_a_csv_reads_its_numbers_as_numbers(channels):
    """CSV cells arrive as text; a regression over an uploaded CSV predicts every numeric
    row (it once failed them all with code 01) and names the cell that is not a number."""
    auth, datasets, tasks = channels
    me = await create_account(auth)
    columns = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    numbers = ",".join(["0.038", "-0.0446", "1e-02", "0.02", "-0.04", "0", "-.03", "1", "2", "3"])
    data = "\n".join([",".join(columns), numbers, numbers.replace("0.038", "old"), numbers])
    dataset = await upload(datasets, me.metadata, "patients.csv", data.encode())
    created = await calls.create_batch(tasks, me.metadata, dataset.id, model="diabetes-progression")
    done = await calls.wait_for(tasks, me.metadata, created.id)
    assert (done.progress.done, done.progress.failed) == (3, 1), done
    results = await calls.all_results(tasks, me.metadata, created.id)
    assert [r.WhichOneof("outcome") for r in results] == ["output", "error", "output"]
    assert results[0].output.raw["value"] == results[2].output.raw["value"]
    assert results[1].error.code == "01" and "age must be a number" in results[1].error.message
    assert results[0].input["age"] == "0.038"  # the input is kept as uploaded


async def test_a_tabular_model_gets_bigger_chunks_than_a_text_model(stack_of, migrated_db):
    """A tabular row costs the model microseconds and a review milliseconds, so each kind has
    its own chunk size: a cheap row does not pay a whole chunk's read, statements and ack per
    few rows, and a review's chunk stays a few seconds of work."""
    stack = await stack_of(tasks_extra={"chunk_rows": 16, "numeric_chunk_rows": 64})
    rows = 100
    columns = "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6"
    patients = "\n".join([columns] + [",".join(["0.01"] * 10)] * rows).encode()
    async with (
        stack.channel(stack.auth) as auth,
        stack.channel(stack.datasets) as datasets,
        stack.channel(stack.tasks) as tasks,
    ):
        me = await create_account(auth)
        reviews = await upload(datasets, me.metadata, "reviews.csv", calls.reviews_csv(rows))
        numbers = await upload(datasets, me.metadata, "patients.csv", patients)
        text = await calls.create_batch(tasks, me.metadata, reviews.id, column="review")
        tabular = await calls.create_batch(
            tasks, me.metadata, numbers.id, model="diabetes-progression"
        )
        for created in (text, tabular):
            done = await calls.wait_for(tasks, me.metadata, created.id)
            assert (done.progress.done, done.progress.failed) == (rows, 0), done
    assert await procs.chunk_sizes_of(migrated_db, text.id) == chunk_sizes(rows, 16)
    assert await procs.chunk_sizes_of(migrated_db, tabular.id) == chunk_sizes(rows, 64)
    assert chunk_sizes(rows, 16) != chunk_sizes(rows, 64)


async def test_every_row_is_predicted_by_an_inference_service_older_than_json_rows(
    channels, monkeypatch
):
    """A rollout puts new workers beside an inference service that reads only `inputs`: it
    takes a JSON call for no rows and refuses it. The worker then sends each row alone as a
    Struct, so no row fails for it (slowly, until the rollout is done)."""
    monkeypatch.setattr(
        inference_servicer, "_rows", lambda request: [structs.to_dict(s) for s in request.inputs]
    )
    auth, datasets, tasks = channels
    me = await create_account(auth)
    dataset = await upload(datasets, me.metadata, "reviews.csv", calls.reviews_csv(40))
    batch = await calls.create_batch(tasks, me.metadata, dataset.id, column="review")
    single = await calls.create_single(tasks, me.metadata, "I love it, best purchase ever!")
    for created, rows in ((batch, 40), (single, 1)):
        done = await calls.wait_for(tasks, me.metadata, created.id)
        assert (done.progress.done, done.progress.failed) == (rows, 0), done


async def test_sample_run_processes_only_limit_rows(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    dataset = await upload(datasets, me.metadata, "reviews.csv", calls.reviews_csv(50))
    created = await calls.create_batch(tasks, me.metadata, dataset.id, limit=7)
    assert created.column == "review"  # the detected text column
    done = await calls.wait_for(tasks, me.metadata, created.id)
    assert done.progress.total == 7
    assert len(await calls.all_results(tasks, me.metadata, created.id)) == 7


async def test_exports_stream_csv_and_jsonl_in_row_order_defused(channels):
    auth, datasets, tasks = channels
    me = await create_account(auth)
    data = 'review\n"=HYPERLINK(""http://evil"")"\ngreat product\n'
    dataset = await upload(datasets, me.metadata, "evil.csv", data.encode())
    created = await calls.create_batch(tasks, me.metadata, dataset.id)
    await calls.wait_for(tasks, me.metadata, created.id)
    exported = await calls.export(tasks, me.metadata, created.id, types.EXPORT_FORMAT_CSV)
    table = list(csv.reader(io.StringIO(exported.decode())))
    assert table[0] == [
        "row",
        "review",
        "prediction.label",
        "prediction.score.negative",
        "prediction.score.neutral",
        "prediction.score.positive",
        "model_version",
        "error.code",
        "error.message",
    ]
    assert [row[0] for row in table[1:]] == ["1", "2"]
    assert {row[6] for row in table[1:]} == {created.version} and created.version
    assert table[1][1] == '\'=HYPERLINK("http://evil")'
    lines = (
        await calls.export(tasks, me.metadata, created.id, types.EXPORT_FORMAT_JSONL)
    ).splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["row"] for r in records] == [1, 2]
    assert records[1]["input"] == {"review": "great product"} and records[1]["prediction"]["label"]
    assert {r["model_version"] for r in records} == {created.version}
    assert records[0]["input"]["review"].startswith("=HYPERLINK")  # JSON is not defused
