"""Pure rules of the tasks service: transitions, chunk plans, exports, fingerprints, limits."""

import csv
import io
import json
import uuid
from datetime import UTC, datetime

import orjson
import pytest

from inferlane.common.errors import Conflict, TooMany
from inferlane.common.ratelimit import KeyedRateLimiter
from services.tasks import exports
from services.tasks.domain import (
    BatchSummary,
    Progress,
    Result,
    Status,
    Task,
    TaskType,
    check_transition,
    plan_chunks,
)
from services.tasks.models import ModelInfo, row_problem, tabular_row
from services.tasks.specs import BatchSpec, SingleSpec, fingerprint
from services.tasks.worker.consumer import backoff


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (Status.ACCEPTED, Status.QUEUED, True),
        (Status.QUEUED, Status.RUNNING, True),
        (Status.ACCEPTED, Status.RUNNING, True),  # the worker may beat the relay's mark
        (Status.RUNNING, Status.READY, True),
        (Status.RUNNING, Status.CANCELLED, True),
        (Status.ERROR, Status.QUEUED, True),  # an admin's replay
        (Status.READY, Status.CANCELLED, False),
        (Status.CANCELLED, Status.RUNNING, False),
        (Status.QUEUED, Status.READY, False),
        (Status.READY, Status.QUEUED, False),
    ],
)
def test_transitions(current, target, allowed):
    if allowed:
        check_transition(current, target)
    else:
        with pytest.raises(Conflict):
            check_transition(current, target)


def test_chunk_plan_covers_every_row_once():
    task_id = uuid.uuid4()
    chunks = plan_chunks(task_id, 1000, 256)
    assert [(c.start, c.end) for c in chunks] == [
        (0, 32),  # small first chunks: the first progress comes early (issue 21, point 6)
        (32, 64),
        (64, 128),
        (128, 256),  # the ramp adds up to one chunk: full chunks start at multiples of 256,
        (256, 512),  # where the datasets service has a checkpoint (a read then skips no row)
        (512, 768),
        (768, 1000),
    ]
    assert [c.index for c in chunks] == list(range(7))
    assert [(c.start, c.end) for c in plan_chunks(task_id, 1, 256)] == [(0, 1)]
    assert [(c.start, c.end) for c in plan_chunks(task_id, 50, 256)] == [(0, 32), (32, 50)]
    assert plan_chunks(task_id, 0, 256) == []
    assert len(plan_chunks(task_id, 5, 1)) == 5


def test_percentages_are_of_successful_rows():
    summary = BatchSummary(counts={"positive": 3, "negative": 1, "neutral": 0}, failed=4)
    assert summary.percentages == {"positive": 75.0, "negative": 25.0, "neutral": 0.0}


SENTIMENT = ModelInfo(
    "sentiment", "classification", ["text"], ["negative", "neutral", "positive"], 512
)
REGRESSOR = ModelInfo("diabetes-progression", "regression", ["age", "bmi"], [], 0)


def test_row_checks():
    assert row_problem(SENTIMENT, {"text": "fine"}) is None
    assert "512" in (row_problem(SENTIMENT, {"text": "x" * 513}) or "")
    assert "text" in (row_problem(SENTIMENT, {"text": 3}) or "")
    assert row_problem(SENTIMENT, {"text": "  "}) == "text is empty"
    assert row_problem(REGRESSOR, {"age": 0.1, "bmi": 2}) is None
    assert "bmi" in (row_problem(REGRESSOR, {"age": 0.1, "bmi": True}) or "")
    assert "finite" in (row_problem(REGRESSOR, {"age": float("nan"), "bmi": 1}) or "")


def _task(**changes) -> Task:
    values = {
        "id": uuid.uuid4(),
        "owner_id": uuid.uuid4(),
        "type": TaskType.BATCH,
        "model": "sentiment",
        "status": Status.READY,
        "progress": Progress(2, 2, 1),
        "input": None,
        "dataset_id": uuid.uuid4(),
        "column": "review",
        "row_limit": None,
        "labels": ["negative", "neutral", "positive"],
        "input_columns": ["review"],
        "summary": None,
        "error_code": None,
        "error_message": None,
        "created_at": datetime.now(UTC),
    }
    return Task(**(values | changes))


async def _collect(task: Task, results: list[Result], fmt: str) -> bytes:
    async def rows():
        yield results[:1]  # batches as the database gives them, of any size
        yield results[1:]

    return b"".join([c async for c in exports.encode(task, rows(), fmt)])


async def test_csv_export_defuses_formulas_and_keeps_numbers():
    results = [
        Result(
            0, {"review": "=1+1"}, "positive", {"negative": 0.1, "neutral": 0.2, "positive": 0.7}
        ),
        Result(1, {"review": "-sold out"}, error_code="01", error_message="@bad"),
    ]
    text = (await _collect(_task(version="2"), results, "csv")).decode()
    lines = text.splitlines()
    assert lines[0] == (
        "row,review,prediction.label,prediction.score.negative,prediction.score.neutral,"
        "prediction.score.positive,model_version,error.code,error.message"
    )
    assert lines[1] == "1,'=1+1,positive,0.100000,0.200000,0.700000,2,,"
    assert lines[2] == "2,'-sold out,,,,,2,01,'@bad"


async def test_csv_input_cells_of_every_kind():
    columns = ["f", "i", "neg", "none", "obj", "list", "flag", "text", "formula", "cell", "sum"]
    values = [1.5, 7, -2, None, {"a": 1}, [1, "x"], True, "plain", "+cmd", "-0.0375", "-1+2"]
    task = _task(input_columns=columns, labels=[])
    result = Result(0, dict(zip(columns, values, strict=True)), raw={"y": 1})
    _, row = csv.reader(io.StringIO((await _collect(task, [result], "csv")).decode()))
    # ... "f" to "sum", after `row`; numbers are never defused, text is, unless it is a plain
    # number (a CSV's numeric cell, uploaded as text): "-1+2" is a formula, "-0.0375" is not.
    assert row[1:12] == [
        *("1.5", "7", "-2", "", '{"a":1}', '[1,"x"]', "True", "plain", "'+cmd"),
        *("-0.0375", "'-1+2"),
    ]


async def test_exports_of_an_evaluating_task_carry_the_expected_label_and_version():
    task = _task(version="1", label_column="stars")
    results = [
        Result(0, {"review": "ok"}, "positive", {"positive": 0.9}, expected_label="+Positive"),
        Result(1, {"review": "meh"}, error_code="01", error_message="bad", expected_label=None),
    ]
    lines = (await _collect(task, results, "csv")).decode().splitlines()
    assert lines[0].endswith("positive,expected_label,model_version,error.code,error.message")
    assert lines[1].endswith(",'+Positive,1,,") and lines[2].endswith(",,1,01,bad")
    jsonl = (await _collect(task, results, "jsonl")).splitlines()
    first, second = (orjson.loads(line) for line in jsonl)
    assert first["model_version"] == "1" and first["expected_label"] == "+Positive"
    assert second["expected_label"] is None and second["error"]["code"] == "01"


async def test_export_keeps_the_files_own_columns_beside_the_prediction():
    task = _task(input_columns=["review", "label", "row", "error.code"])
    result = Result(
        0,
        {"review": "nice", "label": "negative", "row": "r-7", "error.code": "x"},
        "positive",
        {"negative": 0.1, "neutral": 0.2, "positive": 0.7},
    )
    table = list(csv.DictReader(io.StringIO((await _collect(task, [result], "csv")).decode())))
    assert table[0]["label"] == "negative"  # the ground truth survives
    assert table[0]["prediction.label"] == "positive"
    assert (table[0]["row"], table[0]["input.row"], table[0]["input.error.code"]) == (
        "1",
        "r-7",
        "x",
    )
    line = json.loads(await _collect(task, [result], "jsonl"))
    assert line["row"] == 1 and line["input"]["label"] == "negative"
    assert line["prediction"] == {
        "label": "positive",
        "score": {"negative": 0.1, "neutral": 0.2, "positive": 0.7},
    }


async def test_export_streams_in_bounded_pieces():
    results = [Result(i, {"review": "ok"}, "positive", {"positive": 1.0}) for i in range(1200)]
    batches = _aiter([results[:1000], results[1000:]])  # as the database cursor gives them
    pieces = [c async for c in exports.encode(_task(), batches, "jsonl")]
    assert [p.count(b"\n") for p in pieces] == [500, 500, 200]  # never the whole file at once


async def _aiter(items):
    for item in items:
        yield item


def test_fingerprints():
    single = SingleSpec("sentiment", {"text": "a"})
    assert fingerprint(single) == fingerprint(SingleSpec("sentiment", {"text": "a"}))
    assert fingerprint(single) != fingerprint(SingleSpec("sentiment", {"text": "b"}))
    by_id = BatchSpec("sentiment", "d1", None, None)
    assert fingerprint(by_id) != fingerprint(BatchSpec("sentiment", "d2", None, None))
    by_content = BatchSpec("sentiment", "d1", None, None, match_by_content=True)
    other_upload = BatchSpec("sentiment", "d2", None, None, match_by_content=True)
    assert fingerprint(by_content, "sha") == fingerprint(other_upload, "sha")
    assert fingerprint(by_content, "sha") != fingerprint(other_upload, "other")
    # Fields added later change nothing while unset; set, they make another request.
    assert fingerprint(by_id) == fingerprint(BatchSpec("sentiment", "d1", None, None, version=None))
    assert fingerprint(by_id) != fingerprint(BatchSpec("sentiment", "d1", None, None, version="1"))
    labelled = BatchSpec("sentiment", "d1", None, None, label_column="label")
    assert fingerprint(by_id) != fingerprint(labelled)


def test_rate_limiter_refills_over_time():
    now = [0.0]
    limiter = KeyedRateLimiter(rate=2.0, burst=2, clock=lambda: now[0])
    limiter.take("u")
    limiter.take("u")
    with pytest.raises(TooMany) as refused:
        limiter.take("u")
    assert refused.value.retry_after == pytest.approx(0.5)
    limiter.take("someone else")
    now[0] = 0.5
    limiter.take("u")


def test_backoff_doubles_up_to_a_ceiling():
    assert [backoff(a, 1.0, 5.0) for a in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


def test_csv_numbers_reach_a_tabular_model_as_numbers_and_other_text_is_named():
    cells = {"a": "0.038", "b": "-5", "c": " 1e-05 ", "d": ".5", "e": "+3."}
    assert tabular_row(cells) == {"a": 0.038, "b": -5.0, "c": 1e-05, "d": 0.5, "e": 3.0}
    assert row_problem(REGRESSOR, tabular_row({"age": "0.1", "bmi": "2"})) is None
    for text in ("abc", "", "1_000", "0x10", "nan", "1,5", "\u0663", "\u00a01"):
        row = tabular_row({"age": text, "bmi": 1.0})
        assert row["age"] == text, text
        assert row_problem(REGRESSOR, row) == "age must be a number, got str", text
    assert "finite" in (row_problem(REGRESSOR, tabular_row({"age": "1e999", "bmi": 1})) or "")
    assert tabular_row({"age": None, "bmi": True}) == {"age": None, "bmi": True}
