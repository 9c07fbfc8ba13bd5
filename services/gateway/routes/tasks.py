"""Inference tasks of the signed-in user: create (JSON or with an uploaded file), list, read,
cancel, results (paged or exported as a file) and live events (Server-Sent Events)."""

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import grpc
import orjson
import structlog
from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from inferlane.tasks.v1 import tasks_service_pb2 as pb

from ..deps import CurrentUser, Cursor, DatasetsStub, JsonBody, Limit, SettingsDep, TasksStub
from ..schemas.common import DEFAULT_LIMIT, INT64_MAX, MAX_LIMIT
from ..schemas.problems import PROBLEM_MEDIA_TYPE, PROBLEM_REF, problems
from ..schemas.tasks import (
    CREATE_EXAMPLES,
    EXPORT_TO_PB,
    ID_COLUMN_DESCRIPTION,
    LABEL_COLUMN_DESCRIPTION,
    MAX_COLUMN_CHARS,
    MAX_VERSION_CHARS,
    STATUS_TO_PB,
    VERSION_DESCRIPTION,
    ExportFormat,
    Progress,
    ResultPage,
    Task,
    TaskCreate,
    TaskPage,
    TaskStatus,
    batch_spec,
    result_from_pb,
)
from ..security import RPC_TIMEOUT
from ..streaming import stream_file
from ..uploads import FILE_FIELD, StreamingForm, invalid
from .datasets import TRANSFER_TIMEOUT, UPLOAD_BODY, documented, stream_upload
from .datasets import pb as datasets_pb

log = structlog.get_logger("inferlane.gateway.tasks")

router = APIRouter(prefix="/tasks", tags=["tasks"])

MODEL_FIELD, COLUMN_FIELD, LIMIT_FIELD = "model", "column", "limit"
VERSION_FIELD, LABEL_COLUMN_FIELD, ID_COLUMN_FIELD = "version", "label_column", "id_column"
EXPORT_MEDIA_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
}
SSE_PING_SECONDS = 15

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="Repeat a POST safely: the same key with the same body returns the first "
        "task; with a different body it is a 422 (code 01).",
    ),
]

_ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Accepted: the task is queued; follow `Location` or `links`.",
        "headers": {
            "Location": {"description": "The task's URL.", "schema": {"type": "string"}},
        },
    }
}
_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The task has already finished (ready, error or cancelled).",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
}
_NOT_SERVED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The model version asked for is not served now (code `version_not_served`).",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
}
_QUEUE_FULL: dict[int | str, dict[str, Any]] = {
    429: {
        **problems(429)[429],
        "description": "Too many unfinished tasks, or too many requests; retry after the "
        "number of seconds in Retry-After.",
    }
}
_CREATE_422 = (
    "The input is invalid (code 01): unknown model, column or label column, a text over 512 "
    "characters, an Idempotency-Key reused with another body."
)
_EXPORT_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of results as JSON, or with `?format=` the whole export as a "
        "file (streamed).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ResultPage"}},
            **{
                media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for media in EXPORT_MEDIA_TYPES.values()
            },
        },
    }
}
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["task", "progress", "error"]},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "description": "task: the Task; progress: {done, total, failed, rows_per_second, "
            "estimated_completion}; error: {code}.",
        },
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}
_EVENTS_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `task` (the task JSON) first and after every "
        "status change, `progress` (`{done, total, failed, rows_per_second, "
        "estimated_completion}`) while it runs; the stream ends "
        "after a terminal status.",
        # Before OpenAPI 3.2, the schema of an event stream describes one event.
        "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
    }
}


def _with_422(statuses: dict[int | str, dict[str, Any]], detail: str) -> dict[int | str, Any]:
    answer = dict(statuses)
    answer[422] = {**answer[422], "description": detail}
    return dict(sorted(answer.items(), key=lambda item: str(item[0])))


def _accepted(request: Request, response: Response, task: Task) -> Task:
    response.headers["Location"] = str(request.url_for("get_task", task_id=task.id))
    return task


@router.post(
    "",
    status_code=202,
    dependencies=[JsonBody],
    responses={
        **_ACCEPTED,
        **_with_422(problems(401, 403, 404, 415, 422), _CREATE_422),
        **_QUEUE_FULL,
        **_NOT_SERVED,
    },
)
async def create_task(
    request: Request,
    response: Response,
    body: Annotated[TaskCreate, Body(openapi_examples=CREATE_EXAMPLES)],
    caller: CurrentUser,
    stub: TasksStub,
    idempotency_key: IdempotencyKey = None,
) -> Task:
    """Submit a task over one input (`single`) or a dataset column (`batch`); it runs in the
    background. 404: the dataset is not one of yours."""
    reply = await stub.CreateTask(body.to_pb(idempotency_key), timeout=RPC_TIMEOUT)
    return _accepted(request, response, Task.from_pb(reply.task))


BATCH_FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD, MODEL_FIELD],
                    "properties": {
                        MODEL_FIELD: {"type": "string", "examples": ["sentiment"]},
                        COLUMN_FIELD: {
                            "type": "string",
                            "description": "Column to read; default: the detected text column.",
                        },
                        LIMIT_FIELD: {
                            "type": "integer",
                            "minimum": 1,
                            "description": "Only the first rows (a sample run).",
                        },
                        VERSION_FIELD: {
                            "type": "string",
                            "maxLength": MAX_VERSION_CHARS,
                            "description": VERSION_DESCRIPTION,
                        },
                        LABEL_COLUMN_FIELD: {
                            "type": "string",
                            "maxLength": MAX_COLUMN_CHARS,
                            "description": LABEL_COLUMN_DESCRIPTION,
                        },
                        ID_COLUMN_FIELD: {
                            "type": "string",
                            "maxLength": MAX_COLUMN_CHARS,
                            "description": ID_COLUMN_DESCRIPTION,
                        },
                        FILE_FIELD: UPLOAD_BODY["requestBody"]["content"]["multipart/form-data"][
                            "schema"
                        ]["properties"][FILE_FIELD],
                    },
                }
            }
        },
    }
}


@router.post(
    "/batch-file",
    status_code=202,
    responses={
        **_ACCEPTED,
        **_with_422(
            documented(401, 403, 413, 415, 422, upload=True),
            _CREATE_422 + " Or the file is unreadable or unsupported (code 02).",
        ),
        **_QUEUE_FULL,
        **_NOT_SERVED,
    },
    openapi_extra=BATCH_FILE_BODY,
)
async def create_batch_from_file(
    request: Request,
    response: Response,
    caller: CurrentUser,
    datasets: DatasetsStub,
    stub: TasksStub,
    settings: SettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> Task:
    """Upload a dataset file (multipart/form-data, streamed as for `POST /datasets`) and
    start a batch task over it in one call."""
    form = StreamingForm.from_request(request, settings.max_upload_bytes)
    start = await form.file()
    if start is None:
        raise invalid(f"The form has no {FILE_FIELD!r} field.")
    if form.fields:  # fields sent before the file can be checked before the upload
        _batch_fields(form.fields, complete=False)
    uploaded = (await stream_upload(datasets, start, form)).dataset
    try:
        model, column, limit = _batch_fields(form.fields, complete=True)
        spec = batch_spec(
            model,
            uploaded.id,
            column,
            limit,
            version=form.fields.get(VERSION_FIELD, "").strip() or None,
            label_column=form.fields.get(LABEL_COLUMN_FIELD, "").strip() or None,
            id_column=form.fields.get(ID_COLUMN_FIELD, "").strip() or None,
        )
        spec.match_dataset_by_content = True  # a retried upload is a new dataset, same bytes
        reply = await stub.CreateTask(
            pb.CreateTaskRequest(batch=spec, idempotency_key=idempotency_key or ""),
            timeout=RPC_TIMEOUT,
        )
    except Exception:
        await _discard(datasets, uploaded.id)  # no task will read it
        raise
    if reply.task.dataset_id != uploaded.id:  # a replay: the first request's dataset is used
        await _discard(datasets, uploaded.id)
    return _accepted(request, response, Task.from_pb(reply.task))


def _batch_fields(fields: dict[str, str], *, complete: bool) -> tuple[str, str | None, int | None]:
    model = fields.get(MODEL_FIELD, "").strip()
    if complete and not model:
        raise invalid(f"The form has no {MODEL_FIELD!r} field.")
    column = fields.get(COLUMN_FIELD, "").strip() or None
    raw_limit = fields.get(LIMIT_FIELD, "").strip()
    limit = None
    if raw_limit:
        # isascii: isdigit() also accepts digits such as "²" that int() refuses.
        if (
            not (raw_limit.isascii() and raw_limit.isdigit())
            or not 1 <= int(raw_limit) <= INT64_MAX
        ):
            raise invalid(
                f"The {LIMIT_FIELD!r} field must be a whole number from 1 to {INT64_MAX}."
            )
        limit = int(raw_limit)
    return model, column, limit


async def _discard(datasets: DatasetsStub, dataset_id: str) -> None:
    try:
        await datasets.DeleteDataset(
            datasets_pb.DeleteDatasetRequest(dataset_id=dataset_id), timeout=RPC_TIMEOUT
        )
    except grpc.aio.AioRpcError as exc:
        log.warning(
            "could not delete an unused upload", dataset_id=dataset_id, grpc_code=exc.code().name
        )


@router.get("", responses=problems(401, 422))
async def list_tasks(
    caller: CurrentUser,
    stub: TasksStub,
    status: Annotated[TaskStatus | None, Query(description="Only tasks in this status.")] = None,
    model: Annotated[str | None, Query(description="Only tasks of this model.")] = None,
    dataset_id: Annotated[
        uuid.UUID | None, Query(description="Only batch tasks over this dataset.")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> TaskPage:
    """Your tasks, newest first."""
    request = pb.ListTasksRequest(
        page_size=min(limit, MAX_LIMIT),
        page_token=cursor or "",
        model=model or "",
        dataset_id=str(dataset_id) if dataset_id else "",
    )
    if status is not None:
        request.status = STATUS_TO_PB[status]  # type: ignore[assignment]
    reply = await stub.ListTasks(request, timeout=RPC_TIMEOUT)
    return TaskPage(
        items=[Task.from_pb(t) for t in reply.tasks], next_cursor=reply.next_page_token or None
    )


# `:uuid`: only a UUID matches, so GET /tasks/batch-file is a 405, not a task id to refuse.
@router.get("/{task_id:uuid}", responses=problems(401, 404, 422))
async def get_task(task_id: uuid.UUID, caller: CurrentUser, stub: TasksStub) -> Task:
    """One of your tasks: status, progress, timings, summary or error."""
    reply = await stub.GetTask(pb.GetTaskRequest(task_id=str(task_id)), timeout=RPC_TIMEOUT)
    return Task.from_pb(reply.task)


@router.post("/{task_id:uuid}/cancel", responses={**problems(401, 403, 404, 422), **_CONFLICT})
async def cancel_task(task_id: uuid.UUID, caller: CurrentUser, stub: TasksStub) -> Task:
    """Cancel a task that has not finished (409 once it has)."""
    reply = await stub.CancelTask(pb.CancelTaskRequest(task_id=str(task_id)), timeout=RPC_TIMEOUT)
    return Task.from_pb(reply.task)


@router.get(
    "/{task_id:uuid}/results",
    response_model=ResultPage,
    responses={**_EXPORT_OK, **problems(401, 404, 410, 422)},
)
async def get_results(
    task_id: uuid.UUID,
    caller: CurrentUser,
    stub: TasksStub,
    export: Annotated[
        ExportFormat | None,
        Query(
            alias="format",
            description="`csv` or `jsonl`: the whole export as a downloadable file instead "
            "of a page of JSON.",
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Your task's results, ordered by `row_index`: a page of JSON, or a CSV/JSONL file.

    A page's `row_index` counts from 0; the files number rows from 1 in a `row` column, as the
    console does. CSV columns: `row`, the input columns as uploaded, `prediction.label`,
    `prediction.score.<label>`… (`prediction.output` for models that are not classifiers),
    `error.code`, `error.message`; JSONL nests the same names (`input`, `prediction`, `error`).
    The prefixes keep the file's own columns, such as a ground-truth `label`, beside the
    prediction; an input column named like one of them is exported as `input.<name>`.
    """
    if export is not None:
        return await _export(task_id, export, stub)
    reply = await stub.ListResults(
        pb.ListResultsRequest(
            task_id=str(task_id), page_size=min(limit, MAX_LIMIT), page_token=cursor or ""
        ),
        timeout=RPC_TIMEOUT,
    )
    page = ResultPage(
        items=[result_from_pb(r) for r in reply.results],
        next_cursor=reply.next_page_token or None,
    )
    return Response(page.model_dump_json(), media_type="application/json")


async def _export(task_id: uuid.UUID, export: ExportFormat, stub: TasksStub) -> StreamingResponse:
    call = stub.ExportResults(
        pb.ExportResultsRequest(task_id=str(task_id), format=EXPORT_TO_PB[export]),  # type: ignore[arg-type]
        timeout=TRANSFER_TIMEOUT,
    )
    return await stream_file(
        call,
        media_type=EXPORT_MEDIA_TYPES[export],
        headers={"Content-Disposition": f'attachment; filename="task-{task_id}.{export}"'},
    )


@router.get(
    "/{task_id:uuid}/events",
    response_class=EventSourceResponse,
    responses={**_EVENTS_OK, **problems(401, 404, 422)},
)
async def task_events(
    task_id: uuid.UUID, caller: CurrentUser, stub: TasksStub
) -> EventSourceResponse:
    """Follow a task live as Server-Sent Events until it finishes."""
    # Ownership first: an unknown or foreign id is a 404 problem, not an empty stream.
    await stub.GetTask(pb.GetTaskRequest(task_id=str(task_id)), timeout=RPC_TIMEOUT)
    # Opened here, in the request's context, so the call carries the caller's token.
    call = stub.WatchTask(pb.WatchTaskRequest(task_id=str(task_id)), timeout=TRANSFER_TIMEOUT)
    return EventSourceResponse(
        _events(call), ping=SSE_PING_SECONDS, headers={"Cache-Control": "no-store"}
    )


async def _events(call: Any) -> AsyncIterator[ServerSentEvent]:
    try:
        async for message in call:
            event = message.event
            which = event.WhichOneof("event")
            if which == "task":
                task = Task.from_pb(event.task)
                yield ServerSentEvent(data=task.model_dump_json(), event="task")
                if task.finished:
                    return
            elif which == "progress":
                progress = Progress.from_pb(event.progress)
                yield ServerSentEvent(data=progress.model_dump_json(), event="progress")
    except grpc.aio.AioRpcError as exc:
        # Headers are gone: say so in the stream, then end it.
        log.warning("task watch ended", grpc_code=exc.code().name)
        yield ServerSentEvent(
            data=orjson.dumps({"code": exc.code().name.lower()}).decode(), event="error"
        )
    finally:
        call.cancel()
