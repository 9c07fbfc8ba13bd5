"""The SDK's retries against a real HTTP server: 429/503 are retried after Retry-After, up to
the policy's attempts; other errors are raised at once, typed, with the problem's fields."""

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from inferlane.client import (
    AsyncClient,
    Client,
    InvalidRequest,
    NotFound,
    RateLimited,
    RetryPolicy,
    ServerError,
)
from tests.support.cli_scripted_server import Answer, ScriptedServer, scripted_server

FAST = RetryPolicy(max_attempts=3, backoff=0.01, max_wait=5)
NOW = datetime.now(UTC).isoformat()
TASK = {
    "id": str(uuid.uuid4()),
    "type": "single",
    "model": "sentiment",
    "status": "accepted",
    "progress": {"done": 0, "total": 1, "failed": 0},
    "summary": None,
    "error": None,
    "created_at": NOW,
}
DATASET = {
    "id": str(uuid.uuid4()),
    "name": "r.csv",
    "format": "csv",
    "size_bytes": 10,
    "sha256": "0" * 64,
    "rows": 1,
    "columns": [{"name": "text", "type": "string"}],
    "text_column": "text",
    "created_at": NOW,
}


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as running:
        yield running


def test_429_then_503_then_200_is_retried_after_retry_after(server):
    server.script(
        Answer.problem(429, "Too Many Requests", "slow down", **{"Retry-After": "1"}),
        Answer.problem(503, "Service Unavailable", "later", **{"Retry-After": "0"}),
        Answer(200, TASK),
    )
    started = time.monotonic()
    with Client(server.url, api_key="ilk_test", retry=FAST) as client:
        task = client.get_task(TASK["id"])
    assert str(task.id) == TASK["id"]
    assert len(server.seen) == 3
    assert time.monotonic() - started >= 1.0  # waited as Retry-After said
    assert server.seen[0].headers["authorization"] == "Bearer ilk_test"


def test_gives_up_after_max_attempts_with_the_last_problem(server):
    server.script(*[Answer.problem(503, "Service Unavailable", "down", **{"Retry-After": "0"})] * 5)
    with Client(server.url, retry=FAST) as client, pytest.raises(ServerError) as caught:
        client.list_datasets()
    assert len(server.seen) == 3
    assert caught.value.status == 503
    assert caught.value.title == "Service Unavailable"
    assert caught.value.request_id == "req-503"


def test_rate_limited_carries_retry_after_when_attempts_run_out(server):
    server.script(Answer.problem(429, "Too Many Requests", "queue full", **{"Retry-After": "0"}))
    client = Client(server.url, retry=RetryPolicy(max_attempts=1))
    with client, pytest.raises(RateLimited) as caught:
        client.list_tasks()
    assert caught.value.retry_after == 0
    assert caught.value.detail == "queue full"


@pytest.mark.parametrize(
    ("status", "title", "kind"),
    [(404, "Not Found", NotFound), (422, "Unprocessable", InvalidRequest)],
)
def test_other_client_errors_are_not_retried(server, status, title, kind):
    server.script(Answer.problem(status, title, "nope"), Answer(200, TASK))
    with Client(server.url, retry=FAST) as client, pytest.raises(kind) as caught:
        client.get_task(TASK["id"])
    assert len(server.seen) == 1
    problem = caught.value.problem
    assert (problem.status, problem.title, problem.detail) == (status, title, "nope")
    assert problem.code == title.lower().replace(" ", "_")


def test_a_retried_submission_keeps_its_idempotency_key(server):
    server.script(
        Answer.problem(503, "Service Unavailable", "later", **{"Retry-After": "0"}),
        Answer(202, TASK),
    )
    with Client(server.url, retry=FAST) as client:
        client.submit_single("sentiment", {"text": "hi"})
    keys = {seen.headers["idempotency-key"] for seen in server.seen}
    assert len(server.seen) == 2 and len(keys) == 1


def test_a_retried_upload_sends_the_whole_file_again(server, tmp_path):
    file = tmp_path / "r.csv"
    file.write_bytes(b"text\n" + b"a fine product\n" * 10_000)
    server.script(
        Answer.problem(429, "Too Many Requests", "wait", **{"Retry-After": "0"}),
        Answer(201, DATASET),
    )
    reported: list[tuple[int, int]] = []
    with Client(server.url, retry=FAST) as client:
        client.upload_dataset(file, progress=lambda sent, total: reported.append((sent, total)))
    assert len(server.seen) == 2
    assert all(file.read_bytes() in seen.body for seen in server.seen)
    assert reported[-1] == (file.stat().st_size, file.stat().st_size)


async def test_async_client_retries_the_same_way(server):
    server.script(
        Answer.problem(429, "Too Many Requests", "wait", **{"Retry-After": "0"}),
        Answer(200, {"items": [TASK], "next_cursor": None}),
    )
    async with AsyncClient(server.url, retry=FAST) as client:
        page = await client.list_tasks()
    assert [str(t.id) for t in page.items] == [TASK["id"]]
    assert len(server.seen) == 2

    server.script(Answer.problem(404, "Not Found", "no such task"))
    async with AsyncClient(server.url, retry=FAST) as client:
        with pytest.raises(NotFound):
            await client.get_task(TASK["id"])
    assert len(server.seen) == 1
