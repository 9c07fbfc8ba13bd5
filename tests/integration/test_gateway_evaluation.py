"""Versions and evaluation through the gateway and the whole task pipeline: a task records the
version it ran, and an evaluating task's summary is the confusion matrix a hand count gives."""

import csv
import io
import json
from typing import Any

import pytest

from tests.support.gateway_tasks import (
    TASKS,
    Api,
    create,
    single,
    sse_events,
    upload_batch,
    wait_until_finished,
)
from tests.support.labelled_reviews import ACCURACY, CONFUSION, MACRO_F1, labelled_csv
from tests.support.problems import assert_problem

pytestmark = pytest.mark.slow


async def test_an_evaluating_task_scores_the_model_like_a_hand_count(api: Api) -> None:
    me = await api.user()
    fields = {"model": "sentiment", "column": "review", "label_column": "label", "version": "1"}
    response = await upload_batch(api, me, labelled_csv(), fields)
    assert response.status_code == 202, response.text
    task = response.json()
    assert (task["version"], task["label_column"]) == ("1", "label")
    done = await wait_until_finished(api.http, me.headers, task["id"])
    assert done["status"] == "ready" and done["progress"]["failed"] == 1

    page = (await api.http.get(f"{TASKS}/{task['id']}/results", headers=me.headers)).json()
    predicted = {r["row_index"]: r.get("label") for r in page["items"]}
    assert [predicted[i] for i in range(8)] == ["positive"] * 3 + ["negative"] * 3 + [
        "positive",
        "negative",
    ]
    assert [r.get("expected_label") for r in page["items"][:3]] == [
        "positive",
        " Positive ",
        "negative",
    ]

    evaluation = done["summary"]["evaluation"]
    assert evaluation["labels"] == ["negative", "neutral", "positive"]
    assert evaluation["confusion_matrix"] == CONFUSION
    assert (evaluation["evaluated"], evaluation["unknown_labels"], evaluation["unlabelled"]) == (
        6,
        1,
        1,
    )
    assert evaluation["accuracy"] == pytest.approx(ACCURACY)
    negative, neutral, positive = evaluation["per_class"]
    assert (negative["precision"], negative["recall"], negative["support"]) == (
        pytest.approx(2 / 3),
        pytest.approx(2 / 3),
        3,
    )
    assert (neutral["precision"], neutral["recall"], neutral["f1"], neutral["support"]) == (
        0,
        0,
        0,
        1,
    )
    assert (positive["precision"], positive["recall"]) == (pytest.approx(2 / 3), 1)
    assert positive["f1"] == pytest.approx(0.8)
    assert evaluation["macro_f1"] == pytest.approx(MACRO_F1)

    exported = await api.http.get(f"{TASKS}/{task['id']}/results?format=csv", headers=me.headers)
    table = list(csv.reader(io.StringIO(exported.text)))
    header = table[0]
    assert {r[header.index("model_version")] for r in table[1:]} == {"1"}
    assert table[2][header.index("expected_label")] == " Positive "
    lines = await api.http.get(f"{TASKS}/{task['id']}/results?format=jsonl", headers=me.headers)
    records = [json.loads(line) for line in lines.text.splitlines()]
    assert {r["model_version"] for r in records} == {"1"}


async def test_a_task_records_the_default_version_and_events_carry_it(api: Api) -> None:
    me = await api.user()
    model = (await api.http.get("/api/v1/models/sentiment", headers=me.headers)).json()
    response = await create(api, me, single())
    assert response.status_code == 202, response.text
    task = response.json()
    assert task["version"] == model["version"]  # the newest ready one, resolved at creation
    events = await api.http.get(f"{TASKS}/{task['id']}/events", headers=me.headers, timeout=60)
    tasks_seen = [data for name, data in sse_events(events.text) if name == "task"]
    assert tasks_seen and {t["version"] for t in tasks_seen} == {model["version"]}
    pinned = await create(api, me, {**single(), "version": "1"})
    assert pinned.status_code == 202 and pinned.json()["version"] == "1"
    done = await wait_until_finished(api.http, me.headers, pinned.json()["id"])
    assert done["status"] == "ready" and done["version"] == "1"


async def test_unknown_version_404_and_bad_label_column_422(api: Api) -> None:
    me = await api.user()
    assert_problem(await create(api, me, {**single(), "version": "999"}), 404, "not_found")
    fields: dict[str, Any] = {"model": "sentiment", "column": "review", "label_column": "stars"}
    refused = assert_problem(await upload_batch(api, me, labelled_csv(), fields), 422, "01")
    assert "stars" in str(refused["detail"])
    fields = {"model": "diabetes-progression", "label_column": "label"}
    assert_problem(await upload_batch(api, me, labelled_csv(), fields), 422, "01")


async def test_a_cancelled_evaluating_task_is_scored_on_the_rows_it_kept(idle: Api) -> None:
    me = await idle.user()
    fields = {"model": "sentiment", "column": "review", "label_column": "label"}
    task = (await upload_batch(idle, me, labelled_csv(), fields)).json()
    assert task["summary"]["evaluation"] is None  # only once it has finished
    cancelled = await idle.http.post(f"{TASKS}/{task['id']}/cancel", headers=me.headers)
    assert cancelled.status_code == 200, cancelled.text
    evaluation = cancelled.json()["summary"]["evaluation"]
    assert evaluation["evaluated"] == 0 and evaluation["confusion_matrix"] == [[0] * 3] * 3
