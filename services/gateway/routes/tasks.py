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

from ..batch_upload import create_batch
from ..deps import Creations, CurrentUser, Cursor, JsonBody, Limit, SettingsDep, TasksStub
from ..openapi_docs import documented
from ..schemas.common import DEFAULT_LIMIT, MAX_LIMIT
from ..schemas.problems import problems
from ..schemas.tasks import (
    CREATE_EXAMPLES,
    EXPORT_TO_PB,
    STATUS_TO_PB,
    ExportFormat,
    Progress,
    ResultPage,
    Task,
    TaskCreate,
    TaskPage,
    TaskStatus,
    result_from_pb,
)
from ..security import RPC_TIMEOUT
from ..streaming import stream_file
from ..task_openapi import (
    ACCEPTED,
    BATCH_FILE_BODY,
    CONFLICT,
    CREATE_422,
    EVENTS_OK,
    EXPORT_MEDIA_TYPES,
    EXPORT_OK,
    NOT_SERVED,
    QUEUE_FULL,
    with_422,
)
from ..transfers import TRANSFER_TIMEOUT
from ..uploads import FILE_FIELD, StreamingForm, invalid

log = structlog.get_logger("inferlane.gateway.tasks")

router = APIRouter(prefix="/tasks", tags=["tasks"])

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


def _accepted(request: Request, response: Response, task: Task) -> Task:
    response.headers["Location"] = str(request.url_for("get_task", task_id=task.id))
    return task


@router.post(
    "",
    status_code=202,
    dependencies=[JsonBody],
    responses={
        **ACCEPTED,
        **with_422(problems(401, 403, 404, 415, 422, 503), CREATE_422),
        **QUEUE_FULL,
        **NOT_SERVED,
    },
)
async def create_task(
    request: Request,
    response: Response,
    body: Annotated[TaskCreate, Body(openapi_examples=CREATE_EXAMPLES)],
    caller: CurrentUser,
    stub: TasksStub,
    creations: Creations,
    idempotency_key: IdempotencyKey = None,
) -> Task:
    """Submit a task over one input (`single`) or a dataset column (`batch`); it runs in the
    background. 404: the dataset is not one of yours. 503 with Retry-After: too many
    creations at once; nothing was created, try again then."""
    async with creations.admit():
        reply = await stub.CreateTask(body.to_pb(idempotency_key), timeout=RPC_TIMEOUT)
    return _accepted(request, response, Task.from_pb(reply.task))


@router.post(
    "/batch-file",
    status_code=202,
    responses={
        **ACCEPTED,
        **with_422(
            documented(401, 403, 413, 415, 422, upload=True),
            CREATE_422 + " Or the file is unreadable or unsupported (code 02).",
        ),
        **QUEUE_FULL,
        **NOT_SERVED,
    },
    openapi_extra=BATCH_FILE_BODY,
)
async def create_batch_from_file(
    request: Request,
    response: Response,
    caller: CurrentUser,
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
    reply = await create_batch(stub, start, form, idempotency_key)
    return _accepted(request, response, Task.from_pb(reply.task))


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


@router.post("/{task_id:uuid}/cancel", responses={**problems(401, 403, 404, 422), **CONFLICT})
async def cancel_task(task_id: uuid.UUID, caller: CurrentUser, stub: TasksStub) -> Task:
    """Cancel a task that has not finished (409 once it has)."""
    reply = await stub.CancelTask(pb.CancelTaskRequest(task_id=str(task_id)), timeout=RPC_TIMEOUT)
    return Task.from_pb(reply.task)


@router.get(
    "/{task_id:uuid}/results",
    response_model=ResultPage,
    responses={**EXPORT_OK, **problems(401, 404, 410, 422)},
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
    responses={**EVENTS_OK, **problems(401, 404, 422)},
)
async def task_events(
    task_id: uuid.UUID, caller: CurrentUser, stub: TasksStub
) -> EventSourceResponse:
    """Follow a task live as Server-Sent Events until it finishes."""
    # Opened here, in the request's context, so the call carries the caller's token.
    call = stub.WatchTask(pb.WatchTaskRequest(task_id=str(task_id)), timeout=TRANSFER_TIMEOUT)
    try:
        # Its first message is the task's first look, and an unknown or foreign id fails
        # there: a 404 problem, not an empty stream (no GetTask before it: one call less).
        first = await call.read()
    except grpc.aio.AioRpcError:
        call.cancel()
        raise
    return EventSourceResponse(
        _events(first, call), ping=SSE_PING_SECONDS, headers={"Cache-Control": "no-store"}
    )


_END = grpc.aio.EOF  # type: ignore[attr-defined]  # in grpcio, not in its stubs


async def _events(first: Any, call: Any) -> AsyncIterator[ServerSentEvent]:
    """`first` was read already; read() throughout, as gRPC does not mix it with `async for`."""
    message = first
    try:
        while message is not _END:
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
            message = await call.read()
    except grpc.aio.AioRpcError as exc:
        # Headers are gone: say so in the stream, then end it.
        log.warning("task watch ended", grpc_code=exc.code().name)
        yield ServerSentEvent(
            data=orjson.dumps({"code": exc.code().name.lower()}).decode(), event="error"
        )
    finally:
        call.cancel()
