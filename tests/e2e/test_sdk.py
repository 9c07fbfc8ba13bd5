"""The Python SDK against the running platform: sync and async clients, end to end."""

import csv
import json
import uuid

import pytest

from inferlane.client import (
    AsyncClient,
    AuthenticationError,
    BatchSummary,
    Client,
    Conflict,
    InvalidRequest,
    NotFound,
    SingleSummary,
)
from tests.support.cli_reviews import PASSWORD, fresh_email, reviews_csv
from tests.support.labelled_reviews import ACCURACY, CONFUSION, MACRO_F1, labelled_csv
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow
ROWS = 12


@pytest.fixture(scope="module")
def api_key(platform) -> str:
    email = fresh_email("sdk")
    with Client(platform.url) as client:
        user = client.register(email, PASSWORD)
        assert user.email == email
        tokens = client.login(email, PASSWORD)
        assert tokens.access_token and tokens.refresh_token
        assert client.me().email == email
        return client.create_api_key("sdk tests").secret


def test_wrong_password_is_an_authentication_error_with_the_problem(platform):
    with Client(platform.url) as client, pytest.raises(AuthenticationError) as caught:
        client.login(fresh_email("nobody"), "not the password at all")
    assert caught.value.status == 401
    assert caught.value.title and caught.value.detail
    assert caught.value.request_id


def test_sync_client_uploads_submits_follows_and_exports(platform, api_key, tmp_path):
    source = reviews_csv(tmp_path / "reviews.csv", rows=30)
    sent: list[int] = []
    with Client(platform.url, api_key=api_key) as client:
        dataset = client.upload_dataset(source, progress=lambda done, total: sent.append(done))
        assert sent[-1] == source.stat().st_size
        assert (dataset.rows, dataset.text_column) == (30, "text")
        assert dataset.id in [d.id for d in client.list_datasets().items]
        detail = client.get_dataset(dataset.id)
        assert detail.preview[0]["text"]
        assert len(client.dataset_rows(dataset.id, limit=100).items) == 30
        assert client.dataset_rows(dataset.id, offset=5, limit=2).items[0] == detail.preview[5]
        assert "sentiment" in [m.name for m in client.list_models()]

        task = client.submit_batch("sentiment", dataset.id, column="text", limit=ROWS)
        events = list(client.watch(task.id))
        finished = events[-1].task
        assert finished is not None and finished.status == "ready"
        assert isinstance(finished.summary, BatchSummary)
        assert sum(finished.summary.counts.values()) == ROWS

        first = client.results(task.id, limit=5)
        assert [r.row_index for r in first.items] == [0, 1, 2, 3, 4]
        assert first.next_cursor
        rows = list(client.iter_results(task.id, page_size=5))
        assert [r.row_index for r in rows] == list(range(ROWS))
        assert all(r.label in finished.summary.counts for r in rows)

        target = tmp_path / "out" / "results.csv"
        target.parent.mkdir()
        size = client.export_results(task.id, target)
        assert size == target.stat().st_size
        with target.open(newline="", encoding="utf-8") as exported:
            table = list(csv.DictReader(exported))
        assert [int(r["row"]) for r in table] == list(range(1, ROWS + 1))
        assert {"row", "prediction.label"} <= set(table[0])
        assert list(target.parent.iterdir()) == [target]  # no partial file left behind

        with pytest.raises(Conflict):
            client.cancel_task(task.id)  # it has finished
        assert task.id in [t.id for t in client.list_tasks(model="sentiment").items]


def test_unknown_ids_are_not_found(platform, api_key):
    with Client(platform.url, api_key=api_key) as client:
        with pytest.raises(NotFound) as caught:
            client.get_task(uuid.uuid4())
        assert caught.value.status == 404 and caught.value.code == "not_found"
        with pytest.raises(NotFound):
            client.export_results(uuid.uuid4(), "never.csv")


async def test_async_client_analyses_and_runs_a_batch(platform, api_key, tmp_path):
    async with AsyncClient(platform.url, api_key=api_key) as client:
        single = await client.analyse("Absolutely love this dress, fits perfectly!")
        assert single.status == "ready"
        assert isinstance(single.summary, SingleSummary)
        assert single.summary.label in single.summary.scores

        dataset = await client.upload_dataset(reviews_csv(tmp_path / "r.csv", rows=8))
        task = await client.submit_batch("sentiment", dataset.id, limit=4)
        done = await client.wait(task.id)
        assert done.status == "ready" and done.progress.done == 4
        rows = [r async for r in client.iter_results(task.id, page_size=3)]
        assert [r.row_index for r in rows] == [0, 1, 2, 3]
        target = tmp_path / "results.jsonl"
        await client.export_results(task.id, target, format="jsonl")
        lines = [json.loads(line) for line in target.read_text().splitlines()]
        assert [line["row"] for line in lines] == [1, 2, 3, 4]

        async def released() -> bool:  # the task's `completed` event ends its dataset's lease
            try:
                await client.delete_dataset(dataset.id)
            except Conflict:
                return False
            return True

        await eventually(released, 30, "the finished task's dataset to be deletable")

        other = await client.upload_dataset(reviews_csv(tmp_path / "gone.csv", rows=2))
        await client.delete_dataset(other.id)
        with pytest.raises(NotFound):
            await client.get_dataset(other.id)


def test_sync_evaluate_a_file_and_a_dataset(platform, api_key, tmp_path):
    labelled = tmp_path / "labelled.csv"
    labelled.write_bytes(labelled_csv())
    with Client(platform.url, api_key=api_key) as client:
        task = client.evaluate(labelled, model="sentiment", label_column="label", version="1")
        assert task.status == "ready" and task.version == "1"
        assert task.evaluation is not None
        assert task.evaluation.confusion_matrix == CONFUSION
        assert task.evaluation.accuracy == pytest.approx(ACCURACY)
        dataset = client.upload_dataset(labelled)
        again = client.evaluate(dataset.id, model="sentiment", label_column="label")
        assert again.label_column == "label" and again.evaluation is not None
        assert again.evaluation.macro_f1 == pytest.approx(MACRO_F1)
        with pytest.raises(InvalidRequest):
            client.evaluate(dataset.id, model="sentiment", label_column="stars")


async def test_async_evaluate(platform, api_key, tmp_path):
    labelled = tmp_path / "labelled.csv"
    labelled.write_bytes(labelled_csv())
    async with AsyncClient(platform.url, api_key=api_key) as client:
        task = await client.evaluate(str(labelled), model="sentiment", label_column="label")
        assert task.evaluation is not None and task.evaluation.confusion_matrix == CONFUSION
