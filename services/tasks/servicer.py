"""gRPC front of the tasks service: proto <-> domain, nothing else."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import grpc
from google.protobuf import json_format

from inferlane.common import principal
from inferlane.common.admission import Admission
from inferlane.common.clock import utc_now
from inferlane.common.errors import INVALID_INPUT, InvalidInput
from inferlane.common.grpc.client import CLIENT_HEADER
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_service_pb2_grpc
from inferlane.tasks.v1 import tasks_types_pb2 as types
from services.tasks import audit, eta
from services.tasks.batch_from_upload import BatchFromUpload
from services.tasks.domain import DeadLetter, Progress, Result, Status, TaskType
from services.tasks.evaluation import Evaluation
from services.tasks.search import SearchQuery, SearchResult, TaskSearch
from services.tasks.service import TasksService, TaskView
from services.tasks.spec_messages import spec_of
from services.tasks.upload_requests import upload_of

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["TasksService"].full_name
MAX_CLIENT_CHARS = 200

_STATUS = {
    Status.ACCEPTED: types.TASK_STATUS_ACCEPTED,
    Status.QUEUED: types.TASK_STATUS_QUEUED,
    Status.RUNNING: types.TASK_STATUS_RUNNING,
    Status.READY: types.TASK_STATUS_READY,
    Status.ERROR: types.TASK_STATUS_ERROR,
    Status.CANCELLED: types.TASK_STATUS_CANCELLED,
}
_STATUS_FILTER = {v: k for k, v in _STATUS.items()}
_TYPE = {TaskType.SINGLE: types.TASK_TYPE_SINGLE, TaskType.BATCH: types.TASK_TYPE_BATCH}
_FORMAT = {types.EXPORT_FORMAT_CSV: "csv", types.EXPORT_FORMAT_JSONL: "jsonl"}


def _stamp(target: Any, value: datetime | None) -> None:
    if value is not None:
        target.FromDatetime(value)


def progress_pb(progress: Progress, running: bool = True) -> types.TaskProgress:
    message = types.TaskProgress(done=progress.done, total=progress.total, failed=progress.failed)
    found = eta.estimate(progress, progress.started_at, utc_now()) if running else None
    if found is not None:
        message.rows_per_second = found.rows_per_second
        message.estimated_completion.FromDatetime(found.completion)
    return message


def task_pb(view: TaskView) -> types.Task:
    task = view.task
    message = types.Task(
        id=str(task.id),
        type=_TYPE[task.type],
        model=task.model,
        status=_STATUS[task.status],
        progress=progress_pb(task.progress, task.status == Status.RUNNING),
        dataset_id=str(task.dataset_id or ""),
        column=task.column or "",
        version=task.version or "",
        label_column=task.label_column or "",
        id_column=task.id_column or "",
        dataset_name=task.dataset_name or "",
        callback_url=task.callback_url or "",
    )
    if task.row_limit is not None:
        message.limit = task.row_limit
    if task.error_code is not None:
        message.error.CopyFrom(
            types.TaskError(code=task.error_code, message=task.error_message or "")
        )
    if view.batch is not None:
        message.summary.batch.CopyFrom(
            types.BatchTaskSummary(
                counts=view.batch.counts,
                percentages=view.batch.percentages,
                failed=view.batch.failed,
            )
        )
        if view.evaluation is not None:
            message.summary.batch.evaluation.CopyFrom(evaluation_pb(view.evaluation))
    elif task.summary is not None:
        single = message.summary.single
        single.label = task.summary.get("label", "")
        single.scores.update(task.summary.get("scores", {}))
        if "raw" in task.summary:
            json_format.ParseDict(task.summary["raw"], single.raw)
    _stamp(message.created_at, task.created_at)
    _stamp(message.queued_at, task.queued_at)
    _stamp(message.started_at, task.started_at)
    _stamp(message.finished_at, task.finished_at)
    _stamp(message.expires_at, task.expires_at)
    return message


def evaluation_pb(evaluation: Evaluation) -> types.Evaluation:
    f = evaluation.figures
    return types.Evaluation(
        label_column=evaluation.label_column,
        evaluated=f.evaluated,
        accuracy=f.accuracy,
        macro_f1=f.macro_f1,
        per_class=[
            types.ClassEvaluation(
                label=c.label, precision=c.precision, recall=c.recall, f1=c.f1, support=c.support
            )
            for c in f.per_label
        ],
        labels=f.labels,
        confusion=[
            types.ConfusionRow(expected=label, predicted=row)
            for label, row in zip(f.labels, f.matrix, strict=True)
        ],
        unknown_labels=evaluation.unknown_labels,
        unlabelled=evaluation.unlabelled,
    )


def result_pb(result: Result) -> types.TaskResult:
    message = types.TaskResult(
        row_index=result.row_index,
        expected_label=result.expected_label or "",
        custom_id=result.custom_id or "",
    )
    json_format.ParseDict(result.input, message.input)
    if result.error_code is not None:
        message.error.CopyFrom(
            types.TaskError(code=result.error_code, message=result.error_message or "")
        )
    else:
        output = message.output
        output.label = result.label or ""
        output.scores.update(result.scores or {})
        if result.raw is not None:
            json_format.ParseDict(result.raw, output.raw)
    return message


def dead_letter_pb(letter: DeadLetter) -> types.DeadLetter:
    message = types.DeadLetter(
        id=str(letter.id),
        task_id=str(letter.task_id),
        owner_id=str(letter.owner_id),
        subject=letter.subject,
        payload=letter.payload,
        delivery_count=letter.delivery_count,
        reason=letter.reason,
    )
    _stamp(message.dead_at, letter.dead_at)
    _stamp(message.replayed_at, letter.replayed_at)
    return message


def caller_id() -> uuid.UUID:
    return uuid.UUID(principal.current().user_id)


def who(context: grpc.aio.ServicerContext[Any, Any]) -> audit.Who:
    """The caller for the audit trail, with the client program the gateway names (the
    browser's or script's User-Agent), else the gRPC caller's own."""
    metadata = dict(context.invocation_metadata() or ())
    client = metadata.get(CLIENT_HEADER) or metadata.get("user-agent")
    return audit.caller(client[:MAX_CLIENT_CHARS] if isinstance(client, str) else None)


def audit_entry_pb(entry: audit.Entry) -> types.AuditEntry:
    message = types.AuditEntry(event=entry.event, actor_id=str(entry.actor_id or ""))
    _stamp(message.occurred_at, entry.at)
    json_format.ParseDict(entry.details, message.details)
    return message


def search_query_of(request: pb.SearchTaskRequest) -> SearchQuery:
    which = request.WhichOneof("query")
    return SearchQuery(
        text=request.text if which == "text" else None,
        row_index=request.row_index if which == "row_index" else None,
        k=request.k,
        min_similarity=request.min_similarity if request.HasField("min_similarity") else None,
        label_task_id=request.label_task_id or None,
        labels=list(request.label_in),
    )


def search_pb(found: SearchResult) -> pb.SearchTaskResponse:
    reply = pb.SearchTaskResponse(approximate=found.approximate)
    for hit in found.hits:
        message = reply.hits.add(row_index=hit.row_index, text=hit.text, similarity=hit.similarity)
        if hit.columns is not None:
            json_format.ParseDict(hit.columns, message.columns)
    return reply


def _event(item: TaskView | Progress) -> types.TaskEvent:
    event = types.TaskEvent()
    event.occurred_at.GetCurrentTime()
    if isinstance(item, Progress):
        event.progress.CopyFrom(progress_pb(item))
    else:
        event.task.CopyFrom(task_pb(item))
    return event


class TasksServicer(tasks_service_pb2_grpc.TasksServiceServicer):
    def __init__(
        self,
        service: TasksService,
        search: TaskSearch,
        batch_upload: BatchFromUpload,
        creations: Admission,
    ) -> None:
        self._service = service
        self._creations = creations  # a burst of creations is refused early, not timed out
        self._search = search
        self._batch_upload = batch_upload

    async def CreateTask(
        self,
        request: pb.CreateTaskRequest,
        context: grpc.aio.ServicerContext[pb.CreateTaskRequest, pb.CreateTaskResponse],
    ) -> pb.CreateTaskResponse:
        spec = spec_of(request)  # a malformed request is a 400 even when the service is busy
        async with self._creations.admit(context.time_remaining()):
            view = await self._service.create(
                caller_id(), spec, request.idempotency_key or None, who(context)
            )
        return pb.CreateTaskResponse(task=task_pb(view))

    async def CreateBatchFromUpload(
        self,
        request_iterator: AsyncIterator[pb.CreateBatchFromUploadRequest],
        context: grpc.aio.ServicerContext[
            pb.CreateBatchFromUploadRequest, pb.CreateBatchFromUploadResponse
        ],
    ) -> pb.CreateBatchFromUploadResponse:
        upload = await upload_of(request_iterator)
        view = await self._batch_upload.create(caller_id(), upload, who(context))
        return pb.CreateBatchFromUploadResponse(task=task_pb(view))

    async def GetTask(
        self,
        request: pb.GetTaskRequest,
        context: grpc.aio.ServicerContext[pb.GetTaskRequest, pb.GetTaskResponse],
    ) -> pb.GetTaskResponse:
        return pb.GetTaskResponse(
            task=task_pb(await self._service.get(caller_id(), request.task_id))
        )

    async def ListTasks(
        self,
        request: pb.ListTasksRequest,
        context: grpc.aio.ServicerContext[pb.ListTasksRequest, pb.ListTasksResponse],
    ) -> pb.ListTasksResponse:
        found = await self._service.list_owned(
            caller_id(),
            request.page_size,
            request.page_token,
            _STATUS_FILTER.get(request.status),
            request.model or None,
            request.dataset_id,
        )
        return pb.ListTasksResponse(
            tasks=[task_pb(v) for v in found.items], next_page_token=found.next_token or ""
        )

    async def CancelTask(
        self,
        request: pb.CancelTaskRequest,
        context: grpc.aio.ServicerContext[pb.CancelTaskRequest, pb.CancelTaskResponse],
    ) -> pb.CancelTaskResponse:
        return pb.CancelTaskResponse(
            task=task_pb(await self._service.cancel(caller_id(), request.task_id, who(context)))
        )

    async def WatchTask(
        self,
        request: pb.WatchTaskRequest,
        context: grpc.aio.ServicerContext[pb.WatchTaskRequest, pb.WatchTaskResponse],
    ) -> AsyncIterator[pb.WatchTaskResponse]:
        updates = await self._service.watch(caller_id(), request.task_id)
        async for item in updates:
            yield pb.WatchTaskResponse(event=_event(item))

    async def ListResults(
        self,
        request: pb.ListResultsRequest,
        context: grpc.aio.ServicerContext[pb.ListResultsRequest, pb.ListResultsResponse],
    ) -> pb.ListResultsResponse:
        _, found = await self._service.results(
            caller_id(), request.task_id, request.page_size, request.page_token
        )
        return pb.ListResultsResponse(
            results=[result_pb(r) for r in found.items], next_page_token=found.next_token or ""
        )

    async def ExportResults(
        self,
        request: pb.ExportResultsRequest,
        context: grpc.aio.ServicerContext[pb.ExportResultsRequest, pb.ExportResultsResponse],
    ) -> AsyncIterator[pb.ExportResultsResponse]:
        fmt = _FORMAT.get(request.format)
        if fmt is None:
            raise InvalidInput("format must be csv or jsonl", code=INVALID_INPUT)
        _, chunks = await self._service.export(caller_id(), request.task_id, fmt, who(context))
        async for chunk in chunks:
            yield pb.ExportResultsResponse(chunk=chunk)

    async def ListDeadLetters(
        self,
        request: pb.ListDeadLettersRequest,
        context: grpc.aio.ServicerContext[pb.ListDeadLettersRequest, pb.ListDeadLettersResponse],
    ) -> pb.ListDeadLettersResponse:
        principal.require_admin()
        found = await self._service.list_dead_letters(request.page_size, request.page_token)
        return pb.ListDeadLettersResponse(
            dead_letters=[dead_letter_pb(d) for d in found.items],
            next_page_token=found.next_token or "",
        )

    async def ReplayDeadLetter(
        self,
        request: pb.ReplayDeadLetterRequest,
        context: grpc.aio.ServicerContext[pb.ReplayDeadLetterRequest, pb.ReplayDeadLetterResponse],
    ) -> pb.ReplayDeadLetterResponse:
        principal.require_admin()
        letter = await self._service.replay_dead_letter(request.dead_letter_id, who(context))
        return pb.ReplayDeadLetterResponse(dead_letter=dead_letter_pb(letter))

    async def SearchTask(
        self,
        request: pb.SearchTaskRequest,
        context: grpc.aio.ServicerContext[pb.SearchTaskRequest, pb.SearchTaskResponse],
    ) -> pb.SearchTaskResponse:
        found = await self._search.search(caller_id(), request.task_id, search_query_of(request))
        return search_pb(found)

    async def GetTaskAudit(
        self,
        request: pb.GetTaskAuditRequest,
        context: grpc.aio.ServicerContext[pb.GetTaskAuditRequest, pb.GetTaskAuditResponse],
    ) -> pb.GetTaskAuditResponse:
        caller = principal.current()
        found = await self._service.audit_trail(
            uuid.UUID(caller.user_id),
            caller.is_admin,
            request.task_id,
            request.page_size,
            request.page_token,
        )
        return pb.GetTaskAuditResponse(
            entries=[audit_entry_pb(e) for e in found.items], next_page_token=found.next_token or ""
        )
