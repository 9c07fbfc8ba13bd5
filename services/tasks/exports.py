"""Results as CSV or JSONL, encoded as they stream from the database (any size, flat memory).

CSV cells that come from users (input text, error messages) are defused against formula
injection: a cell starting with = + - @ or a tab/CR gets a leading apostrophe, as OWASP
recommends, so a spreadsheet shows the text instead of running it.
"""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import orjson

from inferlane.common.errors import InvalidInput
from services.tasks.domain import Result, Task

CSV, JSONL = "csv", "jsonl"
ROWS_PER_CHUNK = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def media_type(fmt: str) -> str:
    return "text/csv; charset=utf-8" if fmt == CSV else "application/x-ndjson"


def defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_header(task: Task) -> list[str]:
    outputs = ["label", *task.labels] if task.labels else ["output"]
    expected = ["expected_label"] if task.label_column else []
    ids = ["custom_id"] if task.id_column else []
    return [
        "row_index",
        *ids,
        *task.input_columns,
        *outputs,
        *expected,
        "model_version",
        "error_code",
        "error_message",
    ]


def csv_row(task: Task, result: Result) -> list[Any]:
    inputs = [defuse(_cell(result.input.get(c))) for c in task.input_columns]
    if task.labels:
        scores = result.scores or {}
        outputs = [result.label or "", *(_score(scores.get(label)) for label in task.labels)]
    else:
        outputs = [orjson.dumps(result.raw).decode() if result.raw is not None else ""]
    expected = [defuse(result.expected_label or "")] if task.label_column else []
    ids = [defuse(result.custom_id or "")] if task.id_column else []
    return [
        result.row_index,
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
        "row_index": result.row_index,
        "input": result.input,
        "model_version": task.version,
    }
    if task.label_column:
        record["expected_label"] = result.expected_label
    if result.error_code is not None:
        record["error"] = {"code": result.error_code, "message": result.error_message}
    elif result.label is not None:
        record |= {"label": result.label, "scores": result.scores or {}}
    else:
        record["output"] = result.raw
    return record


def batch_record(task: Task, result: Result) -> dict[str, Any]:
    """The common batch output line (OpenAI Batch's shape): `custom_id` and the response, or
    the error, so files made for other batch APIs join back the same way."""
    if result.error_code is not None:
        response = None
        error = {"code": result.error_code, "message": result.error_message}
    else:
        body: dict[str, Any] = {"model": task.model, "model_version": task.version}
        if result.label is not None:
            body |= {"label": result.label, "scores": result.scores or {}}
        else:
            body["output"] = result.raw
        if task.label_column:
            body["expected_label"] = result.expected_label
        response, error = {"status_code": 200, "body": body}, None
    return {
        "id": f"{task.id}-{result.row_index}",
        "custom_id": result.custom_id,
        "row_index": result.row_index,
        "response": response,
        "error": error,
    }


def check_format(fmt: str) -> None:
    if fmt not in (CSV, JSONL):
        raise InvalidInput("format must be csv or jsonl", code="01")


async def encode(task: Task, results: AsyncIterator[Result], fmt: str) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if fmt == CSV:
        writer.writerow(csv_header(task))
    pending: list[bytes] = []
    count = 0
    async for result in results:
        if fmt == CSV:
            writer.writerow(csv_row(task, result))
        else:
            pending.append(orjson.dumps(jsonl_record(task, result)) + b"\n")
        count += 1
        if count % ROWS_PER_CHUNK == 0:
            yield _drain(buffer, pending)
    if tail := _drain(buffer, pending):
        yield tail


def _drain(buffer: io.StringIO, pending: list[bytes]) -> bytes:
    data = buffer.getvalue().encode() + b"".join(pending)
    buffer.seek(0)
    buffer.truncate()
    pending.clear()
    return data


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return "" if value is None else value


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"
