"""Results as CSV or JSONL, encoded as they stream from the database (any size, flat memory).

CSV cells that come from users (input text, error messages) are defused against formula
injection: a cell starting with = + - @ or a tab/CR gets a leading apostrophe, as OWASP
recommends, so a spreadsheet shows the text instead of running it. Text that is a plain
decimal number ("-0.0375", a CSV's numeric cell as uploaded) cannot be a formula and is kept
as it is, so a tabular task's export still holds numbers.

Columns (documented in docs/exports.md, stable): `row` (1-based, as the console numbers rows),
the input columns the model read, named as uploaded, then `prediction.label`,
`prediction.score.<label>`… (or `prediction.output` for models that are not classifiers),
`expected_label` (tasks with a label column), `model_version`, `error.code`, `error.message`.
The prefixes keep the names of a file's own columns (a
ground-truth `label`, say) free; an input column that takes one of these names itself is
exported as `input.<name>`. JSONL nests the same names:
{"row", "input": {…}, "prediction": {"label", "score": {…}} | "error": {…}}.
"""

import csv
import io
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any

import orjson

from inferlane.common.errors import INVALID_INPUT, InvalidInput
from services.tasks.domain import Result, Task
from services.tasks.models import DECIMAL

CSV, JSONL = "csv", "jsonl"
ROWS_PER_CHUNK = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_plain_number = re.compile(DECIMAL, re.ASCII).fullmatch


def media_type(fmt: str) -> str:
    return "text/csv; charset=utf-8" if fmt == CSV else "application/x-ndjson"


def defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _plain_number(value):
        return "'" + value
    return value


ROW, ERROR_CODE, ERROR_MESSAGE = "row", "error.code", "error.message"
EXPECTED_LABEL, MODEL_VERSION, CUSTOM_ID = "expected_label", "model_version", "custom_id"
# Names, and the prefixes of names, we write.
_OURS = (ROW, "prediction", "error", "input", EXPECTED_LABEL, MODEL_VERSION, CUSTOM_ID)


def csv_header(task: Task) -> list[str]:
    if task.labels:
        outputs = ["prediction.label", *(f"prediction.score.{label}" for label in task.labels)]
    else:
        outputs = ["prediction.output"]
    inputs = [_input_header(c) for c in task.input_columns]
    expected = [EXPECTED_LABEL] if task.label_column else []
    ids = [CUSTOM_ID] if task.id_column else []
    return [ROW, *ids, *inputs, *outputs, *expected, MODEL_VERSION, ERROR_CODE, ERROR_MESSAGE]


def _input_header(column: str) -> str:
    clashes = any(column == ours or column.startswith(f"{ours}.") for ours in _OURS)
    return f"input.{column}" if clashes else column


def csv_row(task: Task, result: Result) -> list[Any]:
    get = result.input.get
    inputs = [_input_cell(get(c)) for c in task.input_columns]
    if task.labels:
        scores = result.scores or {}
        outputs = [result.label or "", *(_score(scores.get(label)) for label in task.labels)]
    else:
        outputs = [orjson.dumps(result.raw).decode() if result.raw is not None else ""]
    expected = [defuse(result.expected_label or "")] if task.label_column else []
    ids = [defuse(result.custom_id or "")] if task.id_column else []
    return [
        result.row_index + 1,
        *ids,
        *inputs,
        *outputs,
        *expected,
        task.version or "",
        result.error_code or "",
        defuse(result.error_message or ""),
    ]


def jsonl_record(task: Task, result: Result) -> dict[str, Any]:
    if task.id_column:
        return batch_record(task, result)
    record: dict[str, Any] = {
        ROW: result.row_index + 1,
        "input": result.input,
        MODEL_VERSION: task.version,
    }
    if task.label_column:
        record[EXPECTED_LABEL] = result.expected_label
    if result.error_code is not None:
        record["error"] = {"code": result.error_code, "message": result.error_message}
    elif result.label is not None:
        record["prediction"] = {"label": result.label, "score": result.scores or {}}
    else:
        record["prediction"] = {"output": result.raw}
    return record


def batch_record(task: Task, result: Result) -> dict[str, Any]:
    """The common batch output line (OpenAI Batch's shape): `custom_id` and the response, or
    the error, so files made for other batch APIs join back the same way."""
    if result.error_code is not None:
        response = None
        error = {"code": result.error_code, "message": result.error_message}
    else:
        body: dict[str, Any] = {"model": task.model, MODEL_VERSION: task.version}
        if result.label is not None:
            body["prediction"] = {"label": result.label, "score": result.scores or {}}
        else:
            body["prediction"] = {"output": result.raw}
        if task.label_column:
            body[EXPECTED_LABEL] = result.expected_label
        response, error = {"status_code": 200, "body": body}, None
    return {
        "id": f"{task.id}-{result.row_index}",
        CUSTOM_ID: result.custom_id,
        ROW: result.row_index + 1,
        "response": response,
        "error": error,
    }


def check_format(fmt: str) -> None:
    if fmt not in (CSV, JSONL):
        raise InvalidInput("format must be csv or jsonl", code=INVALID_INPUT)


async def encode(
    task: Task, batches: AsyncIterator[Sequence[Result]], fmt: str
) -> AsyncIterator[bytes]:
    """The export's bytes, a piece per ROWS_PER_CHUNK results at most, from results read a
    batch at a time (a row at a time was most of a million-row export's overhead)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if fmt == CSV:
        writer.writerow(csv_header(task))
    pending: list[bytes] = []
    async for batch in batches:
        for start in range(0, len(batch), ROWS_PER_CHUNK):
            part = batch[start : start + ROWS_PER_CHUNK]
            if fmt == CSV:
                writer.writerows([csv_row(task, result) for result in part])
            else:
                pending.extend(orjson.dumps(jsonl_record(task, r)) + b"\n" for r in part)
            yield _drain(buffer, pending)
    if tail := _drain(buffer, pending):
        yield tail


def _drain(buffer: io.StringIO, pending: list[bytes]) -> bytes:
    data = buffer.getvalue().encode() + b"".join(pending)
    buffer.seek(0)
    buffer.truncate()
    pending.clear()
    return data


def _input_cell(value: Any) -> Any:
    """An input value as its CSV cell: numbers as they are (the common case, tested first:
    a million-row export spends most of its time here), text defused, JSON for structures."""
    kind = type(value)
    if kind is float or kind is int:
        return value
    if kind is str:  # defuse(), inline: a call per cell costs the export ~10 %
        if value.startswith(_FORMULA_START) and not _plain_number(value):
            return "'" + value
        return value
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return defuse(value)


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
