"""The caller's own row ids through the gateway and the whole pipeline: a named id column, and
a batch file in the common `custom_id` + `body` shape, come back beside every result and in
both exports."""

import csv
import io
import json
from typing import Any

import pytest

from tests.support.gateway_tasks import TASKS, Api, upload_batch, wait_until_finished
from tests.support.problems import assert_problem

pytestmark = pytest.mark.slow

REVIEWS = [("a-17", "Lovely fabric, I adore it"), ("b-2", ""), ("c-9", "Awful, it fell apart")]


def refs_csv() -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([("ref", "review"), *REVIEWS])
    return out.getvalue().encode()


def batch_file() -> bytes:
    """OpenAI Batch's input lines, one request each."""
    lines = [
        {
            "custom_id": ref,
            "method": "POST",
            "url": "/v1/classifications",
            "body": {"model": "sentiment", "input": text},
        }
        for ref, text in REVIEWS
    ]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


async def _finished(api: Api, headers: dict[str, str], response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    done = await wait_until_finished(api.http, headers, response.json()["id"])
    assert done["status"] == "ready"
    return done


async def _export(api: Api, headers: dict[str, str], task_id: str, fmt: str) -> str:
    response = await api.http.get(f"{TASKS}/{task_id}/results?format={fmt}", headers=headers)
    assert response.status_code == 200, response.text
    return response.text


async def test_a_named_id_column_comes_back_beside_every_row(api: Api) -> None:
    me = await api.user()
    fields = {"model": "sentiment", "column": "review", "id_column": "ref"}
    task = await _finished(api, me.headers, await upload_batch(api, me, refs_csv(), fields))
    assert task["id_column"] == "ref"

    page = (await api.http.get(f"{TASKS}/{task['id']}/results", headers=me.headers)).json()
    assert [(r["row_index"], r["custom_id"]) for r in page["items"]] == [
        (0, "a-17"),
        (1, "b-2"),
        (2, "c-9"),
    ]
    assert "error" in page["items"][1]  # a failed row keeps its id too

    table = list(csv.reader(io.StringIO(await _export(api, me.headers, task["id"], "csv"))))
    assert table[0][:3] == ["row", "custom_id", "review"]
    assert [row[1] for row in table[1:]] == ["a-17", "b-2", "c-9"]

    lines = (await _export(api, me.headers, task["id"], "jsonl")).splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["custom_id"] for r in records] == ["a-17", "b-2", "c-9"]
    assert records[0]["response"]["status_code"] == 200
    assert records[0]["response"]["body"]["prediction"]["label"] == "positive"
    assert records[1]["response"] is None and records[1]["error"]["code"] == "01"
    assert records[2]["response"]["body"]["prediction"]["label"] == "negative"


async def test_a_batch_file_reads_its_bodies_and_keeps_its_custom_ids(api: Api) -> None:
    me = await api.user()
    response = await api.http.post(
        f"{TASKS}/batch-file",
        data={"model": "sentiment"},
        files={"file": ("requests.jsonl", batch_file(), "application/x-ndjson")},
        headers=me.headers,
    )
    task = await _finished(api, me.headers, response)
    assert (task["column"], task["id_column"]) == ("body", "custom_id")
    lines = (await _export(api, me.headers, task["id"], "jsonl")).splitlines()
    by_id = {r["custom_id"]: r for r in map(json.loads, lines)}
    assert by_id["a-17"]["response"]["body"]["prediction"]["label"] == "positive"
    assert by_id["c-9"]["response"]["body"]["prediction"]["label"] == "negative"
    assert by_id["b-2"]["error"]["code"] == "01"  # an empty text, failed alone


async def test_an_unknown_id_column_is_422_before_any_work(api: Api) -> None:
    me = await api.user()
    fields = {"model": "sentiment", "column": "review", "id_column": "sku"}
    refused = assert_problem(await upload_batch(api, me, refs_csv(), fields), 422, "01")
    assert "sku" in str(refused["detail"])
