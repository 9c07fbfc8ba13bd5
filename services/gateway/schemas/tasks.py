"""Tasks, their results and dead letters as the wire conventions spell them, and the
conversions from the tasks service's protobuf messages."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict, ParseDict
from pydantic import BaseModel, ConfigDict, Field, field_validator

from inferlane.common.errors import INVALID_INPUT, PROCESSING_FAILED, UNREADABLE_FILE
from inferlane.tasks.v1 import tasks_service_pb2, tasks_types_pb2

from .common import INT64_MAX, optional_utc, utc
from .datasets import whole_numbers
from .inputs import INPUTS_DESCRIPTION, MAX_INPUTS, check_inputs

TASKS_PATH = "/api/v1/tasks"
MAX_MODEL_CHARS = 128
MAX_COLUMN_CHARS = 1024
MAX_VERSION_CHARS = 32
LABEL_COLUMN_DESCRIPTION = (
    "Column of expected labels: the task then evaluates the model (classifiers only), and its "
    "summary carries `evaluation` once it has finished. 422 (code 01) if the dataset lacks it."
)
ID_COLUMN_DESCRIPTION = (
    "Column of your own row ids: every result and export carries its value as `custom_id` "
    "beside `row_index`. Default: `custom_id` when the dataset is a batch file (`custom_id` and "
    "`body` per line, as for OpenAI Batch). 422 (code 01) if the dataset lacks it."
)
TTL_DESCRIPTION = (
    "Seconds to keep the results (and exports, vectors) after creation; default: the server's "
    "(TASKS_TTL_SECONDS). Afterwards they are deleted and reading them is a 410 (code "
    "`expired`); the task and its summary stay."
)
VERSION_DESCRIPTION = (
    "Model version to run (see GET /models/{name}); default: the newest ready one. The task "
    "records the version it runs. 404: no such version; 409: not served now."
)

TaskType = Literal["single", "batch"]
TaskStatus = Literal["accepted", "queued", "running", "ready", "error", "cancelled"]
ExportFormat = Literal["csv", "jsonl"]

TYPE_FROM_PB: dict[int, TaskType] = {
    tasks_types_pb2.TASK_TYPE_SINGLE: "single",
    tasks_types_pb2.TASK_TYPE_BATCH: "batch",
}
STATUS_FROM_PB: dict[int, TaskStatus] = {
    tasks_types_pb2.TASK_STATUS_ACCEPTED: "accepted",
    tasks_types_pb2.TASK_STATUS_QUEUED: "queued",
    tasks_types_pb2.TASK_STATUS_RUNNING: "running",
    tasks_types_pb2.TASK_STATUS_READY: "ready",
    tasks_types_pb2.TASK_STATUS_ERROR: "error",
    tasks_types_pb2.TASK_STATUS_CANCELLED: "cancelled",
}
STATUS_TO_PB: dict[TaskStatus, int] = {word: value for value, word in STATUS_FROM_PB.items()}
EXPORT_TO_PB: dict[ExportFormat, int] = {
    "csv": tasks_types_pb2.EXPORT_FORMAT_CSV,
    "jsonl": tasks_types_pb2.EXPORT_FORMAT_JSONL,
}
TERMINAL: frozenset[TaskStatus] = frozenset({"ready", "error", "cancelled"})

_TASK_EXAMPLE: dict[str, Any] = {
    "id": "3b7e4c1a-9f2d-4e8b-a6c5-0d1e2f3a4b5c",
    "type": "batch",
    "model": "sentiment",
    "status": "ready",
    "progress": {"done": 500, "total": 500, "failed": 2},
    "summary": {
        "counts": {"negative": 120, "neutral": 98, "positive": 280},
        "percentages": {"negative": 24.1, "neutral": 19.68, "positive": 56.22},
        "failed": 2,
    },
    "error": None,
    "dataset_id": "6f1f5b0e-3c1a-4e0b-9a55-2f0d7c3e9b11",
    "column": "text",
    "limit": None,
    "version": "2",
    "label_column": None,
    "created_at": "2025-01-31T09:30:00Z",
    "queued_at": "2025-01-31T09:30:00Z",
    "started_at": "2025-01-31T09:30:01Z",
    "finished_at": "2025-01-31T09:30:09Z",
    "links": {
        "self": "/api/v1/tasks/3b7e4c1a-9f2d-4e8b-a6c5-0d1e2f3a4b5c",
        "events": "/api/v1/tasks/3b7e4c1a-9f2d-4e8b-a6c5-0d1e2f3a4b5c/events",
        "results": "/api/v1/tasks/3b7e4c1a-9f2d-4e8b-a6c5-0d1e2f3a4b5c/results",
        "cancel": "/api/v1/tasks/3b7e4c1a-9f2d-4e8b-a6c5-0d1e2f3a4b5c/cancel",
    },
}


# -- requests --------------------------------------------------------------------------------


CALLBACK_URL_DESCRIPTION = (
    "Also POST the task's terminal event (ready, error, cancelled) here: http or https, "
    "a public address (unsigned; see docs/webhooks.md)."
)


class SingleTaskCreate(BaseModel):
    """Run a model on one input."""

    type: Literal["single"]
    model: str = Field(min_length=1, max_length=MAX_MODEL_CHARS, examples=["sentiment"])
    input: dict[str, Any] = Field(
        min_length=1,
        max_length=MAX_INPUTS,
        description=INPUTS_DESCRIPTION,
        examples=[{"text": "Lovely fabric, but it runs small."}],
    )

    version: str | None = Field(
        default=None, min_length=1, max_length=MAX_VERSION_CHARS, description=VERSION_DESCRIPTION
    )

    ttl_seconds: int | None = Field(default=None, ge=1, le=INT64_MAX, description=TTL_DESCRIPTION)
    callback_url: str | None = Field(
        default=None, min_length=1, max_length=2048, description=CALLBACK_URL_DESCRIPTION
    )

    @field_validator("input")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_inputs(value)

    def to_pb(self, idempotency_key: str | None) -> tasks_service_pb2.CreateTaskRequest:
        single = tasks_service_pb2.SingleTaskSpec(
            model=self.model,
            input=ParseDict(self.input, struct_pb2.Struct()),
            version=self.version or "",
            callback_url=self.callback_url or "",
        )
        if self.ttl_seconds is not None:
            single.ttl_seconds = self.ttl_seconds
        return tasks_service_pb2.CreateTaskRequest(
            single=single, idempotency_key=idempotency_key or ""
        )


class BatchTaskCreate(BaseModel):
    """Run a model on every row (or the first `limit` rows) of one of your datasets."""

    type: Literal["batch"]
    model: str = Field(min_length=1, max_length=MAX_MODEL_CHARS, examples=["sentiment"])
    dataset_id: uuid.UUID
    column: str | None = Field(
        default=None,
        max_length=MAX_COLUMN_CHARS,
        description="Column to read; default: the dataset's detected text column.",
    )
    limit: int | None = Field(
        default=None, ge=1, le=INT64_MAX, description="Only the first rows (a sample)."
    )
    version: str | None = Field(
        default=None, min_length=1, max_length=MAX_VERSION_CHARS, description=VERSION_DESCRIPTION
    )
    label_column: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_COLUMN_CHARS,
        description=LABEL_COLUMN_DESCRIPTION,
    )
    id_column: str | None = Field(
        default=None, min_length=1, max_length=MAX_COLUMN_CHARS, description=ID_COLUMN_DESCRIPTION
    )
    ttl_seconds: int | None = Field(default=None, ge=1, le=INT64_MAX, description=TTL_DESCRIPTION)
    callback_url: str | None = Field(
        default=None, min_length=1, max_length=2048, description=CALLBACK_URL_DESCRIPTION
    )

    def to_pb(self, idempotency_key: str | None) -> tasks_service_pb2.CreateTaskRequest:
        return tasks_service_pb2.CreateTaskRequest(
            batch=batch_spec(
                self.model,
                str(self.dataset_id),
                self.column,
                self.limit,
                version=self.version,
                label_column=self.label_column,
                id_column=self.id_column,
                ttl_seconds=self.ttl_seconds,
                callback_url=self.callback_url,
            ),
            idempotency_key=idempotency_key or "",
        )


TaskCreate = Annotated[SingleTaskCreate | BatchTaskCreate, Field(discriminator="type")]

CREATE_EXAMPLES: dict[str, dict[str, Any]] = {
    "single": {
        "summary": "One text",
        "value": {"type": "single", "model": "sentiment", "input": {"text": "Love it!"}},
    },
    "batch": {
        "summary": "A column of a dataset",
        "value": {
            "type": "batch",
            "model": "sentiment",
            "dataset_id": "6f1f5b0e-3c1a-4e0b-9a55-2f0d7c3e9b11",
            "column": "text",
            "limit": 100,
        },
    },
}


def batch_spec(
    model: str,
    dataset_id: str,
    column: str | None,
    limit: int | None,
    *,
    version: str | None = None,
    label_column: str | None = None,
    id_column: str | None = None,
    ttl_seconds: int | None = None,
    callback_url: str | None = None,
) -> tasks_service_pb2.BatchTaskSpec:
    spec = tasks_service_pb2.BatchTaskSpec(
        model=model,
        dataset_id=dataset_id,
        column=column or "",
        version=version or "",
        label_column=label_column or "",
        id_column=id_column or "",
        callback_url=callback_url or "",
    )
    if limit is not None:
        spec.limit = limit
    if ttl_seconds is not None:
        spec.ttl_seconds = ttl_seconds
    return spec


# -- tasks -----------------------------------------------------------------------------------


class Progress(BaseModel):
    done: int = Field(description="Rows processed, failed ones included.")
    total: int = Field(description="Rows to process (1 for a single task).")
    failed: int
    rows_per_second: float = Field(
        0.0, description="Rows per second since the task started running; 0 until known."
    )
    estimated_completion: datetime | None = Field(
        None,
        description="When the rest should be done at that rate; null until known and "
        "on finished tasks.",
    )

    @classmethod
    def from_pb(cls, progress: tasks_types_pb2.TaskProgress) -> "Progress":
        return cls(
            done=progress.done,
            total=progress.total,
            failed=progress.failed,
            rows_per_second=progress.rows_per_second,
            estimated_completion=optional_utc(progress, "estimated_completion"),
        )


class TaskError(BaseModel):
    code: str = Field(
        description=f'"{INVALID_INPUT}" invalid input, "{UNREADABLE_FILE}" unreadable file,'
        f' "{PROCESSING_FAILED}" failed.'
    )
    message: str

    @classmethod
    def from_pb(cls, error: tasks_types_pb2.TaskError) -> "TaskError":
        return cls(code=error.code, message=error.message)


class SingleSummary(BaseModel):
    label: str | None = Field(description="Predicted label; null for non-classifiers.")
    scores: dict[str, float] = Field(description="Score per label.")


class ClassEvaluation(BaseModel):
    label: str
    precision: float = Field(description="Of the rows predicted as this label, the share right.")
    recall: float = Field(description="Of the rows expected as this label, the share found.")
    f1: float
    support: int = Field(description="Rows expected as this label.")


class Evaluation(BaseModel):
    """The predictions against the label column, over the rows that succeeded and carry one
    of the model's labels (matched case-insensitively, trimmed)."""

    label_column: str
    evaluated: int = Field(description="Rows compared.")
    accuracy: float
    macro_f1: float = Field(description="Mean F1 of the labels that occur (expected or predicted).")
    per_class: list[ClassEvaluation] = Field(description="In the model's label order.")
    labels: list[str] = Field(description="Row and column order of the confusion matrix.")
    confusion_matrix: list[list[int]] = Field(
        description="confusion_matrix[i][j]: rows expected as labels[i], predicted as labels[j]."
    )
    unknown_labels: int = Field(description="Rows whose label is not one of the model's.")
    unlabelled: int = Field(description="Rows with an empty label.")

    @classmethod
    def from_pb(cls, e: tasks_types_pb2.Evaluation) -> "Evaluation":
        return cls(
            label_column=e.label_column,
            evaluated=e.evaluated,
            accuracy=e.accuracy,
            macro_f1=e.macro_f1,
            per_class=[
                ClassEvaluation(
                    label=c.label,
                    precision=c.precision,
                    recall=c.recall,
                    f1=c.f1,
                    support=c.support,
                )
                for c in e.per_class
            ],
            labels=list(e.labels),
            confusion_matrix=[list(row.predicted) for row in e.confusion],
            unknown_labels=e.unknown_labels,
            unlabelled=e.unlabelled,
        )


class BatchSummary(BaseModel):
    counts: dict[str, int] = Field(description="Rows per predicted label.")
    percentages: dict[str, float] = Field(description="Share of successful rows, in percent.")
    failed: int = Field(description="Rows that failed.")
    evaluation: Evaluation | None = Field(
        default=None,
        description="Only for a task with a `label_column`, once it has finished (ready, "
        "cancelled or error): computed from the rows it stored.",
    )


class TaskLinks(BaseModel):
    self: str
    events: str
    results: str
    cancel: str


class Task(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TASK_EXAMPLE]})

    id: uuid.UUID
    type: TaskType
    model: str
    status: TaskStatus = Field(description="accepted → queued → running → ready|error|cancelled")
    progress: Progress
    summary: SingleSummary | BatchSummary | None = Field(
        description="Set once ready: {label, scores} for single, {counts, percentages, "
        "failed} for batch."
    )
    error: TaskError | None = Field(description="Why the task failed; only when status is error.")
    dataset_id: uuid.UUID | None = Field(description="Batch tasks: the dataset read.")
    dataset_name: str | None = Field(
        default=None, description="Batch tasks: the dataset's name when the task was created."
    )
    column: str | None = Field(description="Batch tasks: the column read.")
    limit: int | None = Field(description="Batch tasks: the row cap of a sample run.")
    version: str | None = Field(
        default=None, description="The model version the task runs, fixed at creation."
    )
    label_column: str | None = Field(
        default=None, description="Batch tasks that evaluate: the column of expected labels."
    )
    id_column: str | None = Field(
        default=None, description="Batch tasks: the column of your own row ids (`custom_id`)."
    )
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime | None = Field(
        default=None,
        description="When the results, exports and vectors are deleted (then 410, code "
        "`expired`; the task and its summary stay). Null: kept.",
    )
    links: TaskLinks

    @classmethod
    def from_pb(cls, task: tasks_types_pb2.Task) -> "Task":
        path = f"{TASKS_PATH}/{task.id}"
        return cls(
            id=uuid.UUID(task.id),
            type=TYPE_FROM_PB[task.type],
            model=task.model,
            status=STATUS_FROM_PB[task.status],
            progress=Progress.from_pb(task.progress),
            summary=_summary(task),
            error=TaskError.from_pb(task.error) if task.HasField("error") else None,
            dataset_id=uuid.UUID(task.dataset_id) if task.dataset_id else None,
            dataset_name=task.dataset_name or None,
            column=task.column or None,
            limit=task.limit if task.HasField("limit") else None,
            version=task.version or None,
            label_column=task.label_column or None,
            id_column=task.id_column or None,
            created_at=utc(task.created_at),
            queued_at=optional_utc(task, "queued_at"),
            started_at=optional_utc(task, "started_at"),
            finished_at=optional_utc(task, "finished_at"),
            expires_at=optional_utc(task, "expires_at"),
            links=TaskLinks(
                self=path,
                events=f"{path}/events",
                results=f"{path}/results",
                cancel=f"{path}/cancel",
            ),
        )

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


def _summary(task: tasks_types_pb2.Task) -> SingleSummary | BatchSummary | None:
    if not task.HasField("summary"):
        return None
    which = task.summary.WhichOneof("summary")
    if which == "single":
        single = task.summary.single
        return SingleSummary(label=single.label or None, scores=dict(single.scores))
    if which == "batch":
        batch = task.summary.batch
        return BatchSummary(
            counts=dict(batch.counts),
            percentages=dict(batch.percentages),
            failed=batch.failed,
            evaluation=Evaluation.from_pb(batch.evaluation)
            if batch.HasField("evaluation")
            else None,
        )
    return None


class TaskPage(BaseModel):
    """One page of tasks, newest first; pass `next_cursor` back as `?cursor=`."""

    items: list[Task]
    next_cursor: str | None = Field(description="Opaque; null when there are no more items.")


# -- results ---------------------------------------------------------------------------------


CUSTOM_ID_DESCRIPTION = "The row's value in the task's `id_column`; null without one."


class Prediction(BaseModel):
    """A classifier's prediction for one row."""

    row_index: int
    custom_id: str | None = Field(default=None, description=CUSTOM_ID_DESCRIPTION)
    input: dict[str, Any]
    label: str
    scores: dict[str, float]
    expected_label: str | None = Field(
        default=None, description="From the task's label column, when it evaluates."
    )


class Output(BaseModel):
    """A non-classifier model's output for one row (embedding, regression value, …)."""

    row_index: int
    custom_id: str | None = Field(default=None, description=CUSTOM_ID_DESCRIPTION)
    input: dict[str, Any]
    output: dict[str, Any]


class FailedRow(BaseModel):
    """A row that failed, and why."""

    row_index: int
    custom_id: str | None = Field(default=None, description=CUSTOM_ID_DESCRIPTION)
    input: dict[str, Any]
    error: TaskError


Result = Prediction | Output | FailedRow


def result_from_pb(result: tasks_types_pb2.TaskResult) -> Result:
    inputs = whole_numbers(MessageToDict(result.input))
    custom_id = result.custom_id or None
    if result.WhichOneof("outcome") == "error":
        return FailedRow(
            row_index=result.row_index,
            custom_id=custom_id,
            input=inputs,
            error=TaskError.from_pb(result.error),
        )
    output = result.output
    if output.label:
        return Prediction(
            row_index=result.row_index,
            custom_id=custom_id,
            input=inputs,
            label=output.label,
            scores=dict(output.scores),
            expected_label=result.expected_label or None,
        )
    return Output(
        row_index=result.row_index,
        custom_id=custom_id,
        input=inputs,
        output=whole_numbers(MessageToDict(output.raw)),
    )


class ResultPage(BaseModel):
    """Results ordered by `row_index`: a prediction `{label, scores}`, a model `output`, or
    an `error` per row."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "row_index": 0,
                            "input": {"text": "Love it"},
                            "label": "positive",
                            "scores": {"negative": 0.01, "neutral": 0.04, "positive": 0.95},
                        },
                        {
                            "row_index": 1,
                            "input": {"text": ""},
                            "error": {"code": INVALID_INPUT, "message": "the text is empty"},
                        },
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )

    items: list[Result]
    next_cursor: str | None = Field(description="Opaque; null when there are no more items.")


# -- dead letters ----------------------------------------------------------------------------


class DeadLetter(BaseModel):
    """A work message that exhausted its deliveries."""

    id: uuid.UUID
    task_id: uuid.UUID
    owner_id: uuid.UUID
    subject: str
    delivery_count: int
    reason: str = Field(description="The last processing error.")
    dead_at: datetime
    replayed_at: datetime | None

    @classmethod
    def from_pb(cls, letter: tasks_types_pb2.DeadLetter) -> "DeadLetter":
        return cls(
            id=uuid.UUID(letter.id),
            task_id=uuid.UUID(letter.task_id),
            owner_id=uuid.UUID(letter.owner_id),
            subject=letter.subject,
            delivery_count=letter.delivery_count,
            reason=letter.reason,
            dead_at=utc(letter.dead_at),
            replayed_at=optional_utc(letter, "replayed_at"),
        )
