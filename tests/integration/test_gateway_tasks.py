"""/api/v1/tasks through the gateway, end to end: the gateway in-process in front of real auth,
datasets, inference, tasks and a worker (PostgreSQL, NATS, Triton), as a client sees it."""

import csv
import io
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.support.gateway_accounts import Session
from tests.support.gateway_tasks import (
    TASKS,
    Api,
    create,
    single,
    sse_events,
    upload_batch,
    wait_until_finished,
)
from tests.support.problems import assert_problem
from tests.support.task_calls import reviews_csv

pytestmark = pytest.mark.slow

TASK_FIELDS = {
    "id",
    "type",
    "model",
    "status",
    "progress",
    "summary",
    "error",
    "dataset_id",
    "dataset_name",
    "column",
    "limit",
    "version",
    "label_column",
    "id_column",
    "expires_at",
    "created_at",
    "queued_at",
    "started_at",
    "finished_at",
    "links",
}
FORMULA = '=HYPERLINK("http://evil.example","click")'


# -- helpers ---------------------------------------------------------------------------------


def reviews_with_a_formula(n: int) -> bytes:
    return reviews_csv(n) + f'{n},"{FORMULA.replace(chr(34), chr(34) * 2)}"\n'.encode()


# -- happy paths -----------------------------------------------------------------------------


async def test_single_task_is_accepted_then_ready_with_label_and_scores(api: Api) -> None:
    me = await api.user()
    response = await create(api, me, single())
    assert response.status_code == 202, response.text
    task = response.json()
    assert set(task) == TASK_FIELDS
    assert response.headers["location"].endswith(f"{TASKS}/{task['id']}")
    assert (task["type"], task["model"], task["summary"], task["error"]) == (
        "single",
        "sentiment",
        None,
        None,
    )
    assert task["status"] in {"accepted", "queued", "running", "ready"}
    assert task["progress"]["total"] == 1
    assert task["created_at"].endswith("Z") or task["created_at"].endswith("+00:00")
    assert task["links"] == {
        "self": f"{TASKS}/{task['id']}",
        "events": f"{TASKS}/{task['id']}/events",
        "results": f"{TASKS}/{task['id']}/results",
        "cancel": f"{TASKS}/{task['id']}/cancel",
    }

    done = await wait_until_finished(api.http, me.headers, task["id"])
    assert done["status"] == "ready", done
    assert done["summary"]["label"] == "positive"
    assert set(done["summary"]["scores"]) == {"negative", "neutral", "positive"}
    assert done["progress"] == {
        "done": 1,
        "total": 1,
        "failed": 0,
        "rows_per_second": 0.0,  # finished: no rate or estimate
        "estimated_completion": None,
    }
    assert done["finished_at"] is not None and done["started_at"] is not None

    results = (await api.http.get(f"{TASKS}/{task['id']}/results", headers=me.headers)).json()
    assert results["next_cursor"] is None
    [row] = results["items"]
    assert row["row_index"] == 0 and row["label"] == "positive"
    assert row["input"] == {"text": "I love it, best purchase ever!"}

    listed = await api.http.get(f"{TASKS}?status=ready&model=sentiment", headers=me.headers)
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]
    assert (await api.http.get(f"{TASKS}?status=queued", headers=me.headers)).json()["items"] == []
    assert (await api.http.get(f"{TASKS}?model=embedding", headers=me.headers)).json()[
        "items"
    ] == []


async def test_batch_file_runs_with_events_pages_and_exports(api: Api) -> None:
    me = await api.user()
    rows = 600  # three chunks: progress while it runs
    response = await upload_batch(
        api, me, reviews_with_a_formula(rows - 1), {"model": "sentiment", "column": "review"}
    )
    assert response.status_code == 202, response.text
    task = response.json()
    assert (task["type"], task["column"], task["limit"]) == ("batch", "review", None)
    assert task["progress"]["total"] == rows
    dataset = await api.http.get(f"/api/v1/datasets/{task['dataset_id']}", headers=me.headers)
    assert dataset.status_code == 200 and dataset.json()["rows"] == rows

    events = await api.http.get(f"{TASKS}/{task['id']}/events", headers=me.headers, timeout=120)
    assert events.status_code == 200, events.text
    assert events.headers["content-type"].startswith("text/event-stream")
    seen = sse_events(events.text)
    assert seen[0][0] == "task"
    assert any(name == "progress" for name, _ in seen), seen
    progress = [data for name, data in seen if name == "progress"]
    assert set(progress[0]) == {
        "done",
        "total",
        "failed",
        "rows_per_second",
        "estimated_completion",
    }
    for tick in progress:  # mid-run: a rate and a time to be done by (RFC 3339)
        if 0 < tick["done"] < tick["total"]:
            assert tick["rows_per_second"] > 0 and tick["estimated_completion"], tick
    last_name, last = seen[-1]
    assert last_name == "task" and last["status"] == "ready", seen[-1]
    assert sum(last["summary"]["counts"].values()) == rows  # the final event carries the summary

    done = await wait_until_finished(api.http, me.headers, task["id"])
    counts = done["summary"]["counts"]
    assert sum(counts.values()) == rows and done["summary"]["failed"] == 0
    assert abs(sum(done["summary"]["percentages"].values()) - 100) < 0.1

    indexes: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        url = f"{TASKS}/{task['id']}/results?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.http.get(url, headers=me.headers)).json()
        assert len(page["items"]) <= 100
        indexes += [r["row_index"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert indexes == list(range(rows)) and pages >= 6

    exported = await api.http.get(f"{TASKS}/{task['id']}/results?format=csv", headers=me.headers)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["content-disposition"] == (
        f'attachment; filename="task-{task["id"]}.csv"'
    )
    table = list(csv.reader(io.StringIO(exported.text)))
    header, body = table[0], table[1:]
    assert header[0] == "row" and "review" in header and "prediction.label" in header
    assert len(body) == rows
    cell = body[-1][header.index("review")]
    assert cell == "'" + FORMULA, cell  # defused: a spreadsheet shows it, does not run it

    lines = await api.http.get(f"{TASKS}/{task['id']}/results?format=jsonl", headers=me.headers)
    assert lines.headers["content-type"] == "application/x-ndjson"
    assert lines.headers["content-disposition"].endswith(f'task-{task["id"]}.jsonl"')
    records = [json.loads(line) for line in lines.text.splitlines() if line]
    assert [r["row"] for r in records] == list(range(1, rows + 1))


async def test_batch_from_a_dataset_with_a_sample_limit(api: Api) -> None:
    me = await api.user()
    uploaded = await api.http.post(
        "/api/v1/datasets",
        files={"file": ("r.csv", reviews_csv(20), "text/csv")},
        headers=me.headers,
    )
    dataset_id = uploaded.json()["id"]
    response = await create(
        api, me, {"type": "batch", "model": "sentiment", "dataset_id": dataset_id, "limit": 5}
    )
    assert response.status_code == 202, response.text
    task = response.json()
    assert (task["dataset_id"], task["column"], task["limit"]) == (dataset_id, "review", 5)
    done = await wait_until_finished(api.http, me.headers, task["id"])
    assert done["status"] == "ready" and done["progress"]["total"] == 5
    assert sum(done["summary"]["counts"].values()) == 5


async def test_idempotency_key_replays_and_refuses_a_different_body(api: Api) -> None:
    me = await api.user()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await create(api, me, single("Great value"), **key)
    again = await create(api, me, single("Great value"), **key)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    other = await create(api, me, single("Something else"), **key)
    assert_problem(other, 422, "01")
    without = await create(api, me, single("Great value"))
    assert without.json()["id"] != first.json()["id"]

    # batch-file passes the key on too, and an unused upload does not linger
    file_key = {"Idempotency-Key": str(uuid.uuid4())}
    made = await upload_batch(api, me, reviews_csv(3), {"model": "sentiment"}, **file_key)
    assert made.status_code == 202, made.text
    retried = await upload_batch(api, me, reviews_csv(3), {"model": "sentiment"}, **file_key)
    assert retried.status_code == 202 and retried.json()["id"] == made.json()["id"]
    refused = await upload_batch(api, me, reviews_csv(3), {"model": "embedding"}, **file_key)
    assert_problem(refused, 422, "01")
    datasets = (await api.http.get("/api/v1/datasets", headers=me.headers)).json()["items"]
    assert [d["id"] for d in datasets] == [made.json()["dataset_id"]]


# -- back-pressure and cancellation ----------------------------------------------------------


async def test_too_many_unfinished_tasks_is_429_with_retry_after(idle: Api) -> None:
    me = await idle.user()
    for _ in range(2):
        assert (await create(idle, me, single())).status_code == 202
    refused = await create(idle, me, single())
    assert_problem(refused, 429, "too_many_requests")
    assert int(refused.headers["retry-after"]) >= 1
    by_file = await upload_batch(idle, me, reviews_csv(3), {"model": "sentiment"})
    assert_problem(by_file, 429, "too_many_requests")
    assert "retry-after" in by_file.headers
    datasets = (await idle.http.get("/api/v1/datasets", headers=me.headers)).json()["items"]
    assert datasets == []  # the upload of a refused batch is not kept
    # Someone else is not held back by my queue.
    other = await idle.user()
    assert (await create(idle, other, single())).status_code == 202


async def test_cancel_then_cancel_again_is_409(idle: Api) -> None:
    me = await idle.user()
    task = (await create(idle, me, single())).json()
    cancelled = await idle.http.post(f"{TASKS}/{task['id']}/cancel", headers=me.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["finished_at"] is not None
    again = await idle.http.post(f"{TASKS}/{task['id']}/cancel", headers=me.headers)
    assert_problem(again, 409, "task_finished")
    got = (await idle.http.get(f"{TASKS}/{task['id']}", headers=me.headers)).json()
    assert got["status"] == "cancelled"
    # A finished task's events: the task, then the end.
    events = await idle.http.get(f"{TASKS}/{task['id']}/events", headers=me.headers)
    assert [(n, d["status"]) for n, d in sse_events(events.text)] == [("task", "cancelled")]


# -- unhappy paths ---------------------------------------------------------------------------


def every_route(task_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"{TASKS}/{task_id}"),
        ("POST", f"{TASKS}/{task_id}/cancel"),
        ("GET", f"{TASKS}/{task_id}/results"),
        ("GET", f"{TASKS}/{task_id}/results?format=csv"),
        ("GET", f"{TASKS}/{task_id}/results?format=jsonl"),
        ("GET", f"{TASKS}/{task_id}/events"),
    ]


async def test_unknown_and_someone_elses_task_are_404_on_every_route(idle: Api) -> None:
    owner, other = await idle.user(), await idle.user()
    task = (await create(idle, owner, single())).json()
    for method, path in every_route(task["id"]):
        foreign = await idle.http.request(method, path, headers=other.headers)
        body = assert_problem(foreign, 404, "not_found")
        unknown = await idle.http.request(
            method, path.replace(task["id"], str(uuid.uuid4())), headers=other.headers
        )
        assert_problem(unknown, 404, "not_found")
        assert body["detail"] == unknown.json()["detail"], path
    assert (await idle.http.get(f"{TASKS}/{task['id']}", headers=owner.headers)).json()[
        "status"
    ] != "cancelled"
    listed = (await idle.http.get(TASKS, headers=other.headers)).json()
    assert listed == {"items": [], "next_cursor": None}
    # A batch over someone else's dataset: that dataset does not exist for the caller.
    uploaded = await idle.http.post(
        "/api/v1/datasets",
        files={"file": ("r.csv", reviews_csv(3), "text/csv")},
        headers=owner.headers,
    )
    batch = {"type": "batch", "model": "sentiment", "dataset_id": uploaded.json()["id"]}
    assert_problem(await create(idle, other, batch), 404, "not_found")


async def test_missing_credentials_are_401(idle: Api) -> None:
    some = str(uuid.uuid4())
    routes = [
        *every_route(some),
        ("GET", TASKS),
        ("POST", TASKS),
        ("GET", "/api/v1/admin/dead-letters"),
        ("POST", f"/api/v1/admin/dead-letters/{some}/replay"),
    ]
    for method, path in routes:
        response = await idle.http.request(method, path, json=single())
        assert_problem(response, 401, "unauthenticated")
    no_auth = await idle.http.post(
        f"{TASKS}/batch-file", files={"file": ("r.csv", b"text\nhi\n", "text/csv")}
    )
    assert_problem(no_auth, 401, "unauthenticated")


@pytest.mark.parametrize(
    "body",
    [
        {"type": "nope", "model": "sentiment", "input": {"text": "hi"}},
        {"model": "sentiment", "input": {"text": "hi"}},
        {"type": "single", "model": "sentiment", "input": "hi"},
        {"type": "single", "model": "sentiment"},
        {"type": "batch", "model": "sentiment", "dataset_id": "not-a-uuid"},
        {"type": "batch", "model": "sentiment", "dataset_id": str(uuid.uuid4()), "limit": 0},
        {"type": "batch", "model": "sentiment", "dataset_id": str(uuid.uuid4()), "limit": 2**63},
        {"type": "batch", "model": "sentiment", "dataset_id": str(uuid.uuid4()), "limit": 2**70},
        {"type": "single", "model": "sentiment", "input": {"text": "x" * 513}},
        {"type": "single", "model": "sentiment", "input": {"text": [[[[["deep"]]]]]}},
        {"type": "single", "model": "sentiment", "input": {f"k{i}": 1 for i in range(17)}},
        {"type": "single", "model": "m" * 129, "input": {"text": "hi"}},
        [],
    ],
    ids=[
        "type-nope",
        "no-type",
        "input-not-object",
        "no-input",
        "bad-uuid",
        "limit-0",
        "limit-2^63",
        "limit-2^70",
        "text-513",
        "input-too-deep",
        "too-many-inputs",
        "model-name-too-long",
        "list",
    ],
)
async def test_malformed_bodies_are_422_code_01(idle: Api, body: Any) -> None:
    me = await idle.user()
    response = await idle.http.post(TASKS, json=body, headers=me.headers)
    assert_problem(response, 422, "01")


async def test_invalid_inputs_the_service_refuses_are_422_code_01(idle: Api) -> None:
    me = await idle.user()
    assert_problem(await create(idle, me, single("x" * 513)), 422, "01")
    assert (await create(idle, me, single("x" * 512))).status_code == 202
    unknown_model = {"type": "single", "model": "no-such-model", "input": {"text": "hi"}}
    assert_problem(await create(idle, me, unknown_model), 422, "01")
    no_model = await upload_batch(idle, me, reviews_csv(3), {})
    assert_problem(no_model, 422, "01")
    for limit in ("x", str(2**63), "²"):
        fields = {"model": "sentiment", "limit": limit}
        assert_problem(await upload_batch(idle, me, reviews_csv(3), fields), 422, "01")
    bad_column = await upload_batch(
        idle, me, reviews_csv(3), {"model": "sentiment", "column": "nope"}
    )
    assert_problem(bad_column, 422, "01")
    no_file = await idle.http.post(
        f"{TASKS}/batch-file",
        data={"model": "sentiment"},
        files={"x": ("a", b"b")},
        headers=me.headers,
    )
    assert_problem(no_file, 422, "01")
    unreadable = await upload_batch(idle, me, b"\x00\x01\x02binary", {"model": "sentiment"})
    assert_problem(unreadable, 422, "02")
    private = {"model": "sentiment", "callback_url": "http://10.0.0.1/hook"}
    refused_callback = await upload_batch(idle, me, b"text\nhi\n", private)
    assert_problem(refused_callback, 422, "01")  # the form's callback_url is checked too
    assert (await idle.http.get("/api/v1/datasets", headers=me.headers)).json()["items"] == []
    as_text = await idle.http.post(
        TASKS, content=b"type=single", headers={**me.headers, "content-type": "text/plain"}
    )
    assert_problem(as_text, 415, "unsupported_media_type")


def file_then_fields(content: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart body with the file before the text fields (httpx sends fields first)."""
    boundary = "file-first-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n",
        *(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ),
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


async def test_fields_after_the_file_are_read_and_checked(idle: Api) -> None:
    me = await idle.user()

    async def post(fields: dict[str, str]) -> httpx.Response:
        body, boundary = file_then_fields(reviews_csv(4), fields)
        content_type = f"multipart/form-data; boundary={boundary}"
        return await idle.http.post(
            f"{TASKS}/batch-file",
            content=body,
            headers={**me.headers, "content-type": content_type},
        )

    made = await post({"model": "sentiment", "column": "review", "limit": "3"})
    assert made.status_code == 202, made.text
    assert (made.json()["column"], made.json()["limit"]) == ("review", 3)
    assert_problem(await post({"model": "sentiment", "limit": "x"}), 422, "01")
    assert_problem(await post({"column": "review"}), 422, "01")  # no model
    datasets = (await idle.http.get("/api/v1/datasets", headers=me.headers)).json()["items"]
    assert [d["id"] for d in datasets] == [made.json()["dataset_id"]]


async def test_a_huge_text_is_413_not_429_and_leaks_nothing(idle: Api) -> None:
    me = await idle.user()
    response = await create(idle, me, single("x" * (5 * 1024 * 1024)))
    assert_problem(response, 413, "payload_too_large")
    assert "retry-after" not in response.headers
    assert "grpc" not in response.text.lower() and "max" not in response.json()["detail"]


async def test_bad_query_values_are_422(idle: Api) -> None:
    me = await idle.user()
    task = (await create(idle, me, single())).json()
    for query in ("format=xlsx", "limit=0", "format=", f"limit={2**63}"):
        response = await idle.http.get(f"{TASKS}/{task['id']}/results?{query}", headers=me.headers)
        assert_problem(response, 422, "01")
    bad_status = await idle.http.get(f"{TASKS}?status=done", headers=me.headers)
    assert_problem(bad_status, 422, "01")
    assert bad_status.json()["detail"].startswith("Check the request: status: Input should be")
    assert_problem(await idle.http.get(f"{TASKS}/not-a-uuid", headers=me.headers), 404, "not_found")


async def test_dead_letters_are_for_admins_only(idle: Api) -> None:
    me = await idle.user()
    some = str(uuid.uuid4())
    listed = await idle.http.get("/api/v1/admin/dead-letters", headers=me.headers)
    assert_problem(listed, 403, "forbidden")
    replay = await idle.http.post(f"/api/v1/admin/dead-letters/{some}/replay", headers=me.headers)
    assert_problem(replay, 403, "forbidden")
    admin = await idle.admin()
    page = await idle.http.get("/api/v1/admin/dead-letters?limit=5", headers=admin.headers)
    assert page.status_code == 200, page.text
    assert page.json() == {"items": [], "next_cursor": None}
    missing = await idle.http.post(
        f"/api/v1/admin/dead-letters/{some}/replay", headers=admin.headers
    )
    assert_problem(missing, 404, "not_found")


async def test_the_openapi_document_describes_the_task_routes(idle: Api) -> None:
    document = (await idle.http.get("/openapi.json")).json()
    paths = document["paths"]
    create_op = paths[TASKS]["post"]
    assert {"202", "401", "404", "422", "429"} <= set(create_op["responses"])
    assert "Location" in create_op["responses"]["202"]["headers"]
    assert "Retry-After" in create_op["responses"]["429"]["headers"]
    assert "409" in paths[f"{TASKS}/{{task_id}}/cancel"]["post"]["responses"]
    results = paths[f"{TASKS}/{{task_id}}/results"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv", "application/x-ndjson"} <= set(results)
    assert "410" in paths[f"{TASKS}/{{task_id}}/results"]["get"]["responses"]  # expired
    assert "200" in paths[f"{TASKS}/{{task_id}}/audit"]["get"]["responses"]
    events = paths[f"{TASKS}/{{task_id}}/events"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in events
    assert "multipart/form-data" in paths[f"{TASKS}/batch-file"]["post"]["requestBody"]["content"]
    assert document["components"]["schemas"]["Task"]["examples"]


async def test_tasks_filtered_by_dataset(idle: Api) -> None:
    """A dataset page lists its tasks (issue 21, point 10): only that dataset's, only yours."""
    me, someone = await idle.user(), await idle.user()
    ids = []
    for name in ("coats.csv", "boots.csv"):
        uploaded = await idle.http.post(
            "/api/v1/datasets",
            files={"file": (name, reviews_csv(3), "text/csv")},
            headers=me.headers,
        )
        assert uploaded.status_code == 201, uploaded.text
        ids.append(uploaded.json()["id"])
    body = {"type": "batch", "model": "sentiment"}
    coats = (await create(idle, me, {**body, "dataset_id": ids[0]})).json()
    boots = (await create(idle, me, {**body, "dataset_id": ids[1]})).json()

    async def listed(who: Session, dataset_id: str) -> list[str]:
        response = await idle.http.get(f"{TASKS}?dataset_id={dataset_id}", headers=who.headers)
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["items"]]

    assert await listed(me, ids[0]) == [coats["id"]]
    assert await listed(me, ids[1]) == [boots["id"]]
    assert await listed(me, str(uuid.uuid4())) == []
    assert await listed(someone, ids[0]) == []
    malformed = await idle.http.get(f"{TASKS}?dataset_id=not-an-id", headers=me.headers)
    assert_problem(malformed, 422, "01")
    assert "dataset_id" in malformed.json()["detail"]
