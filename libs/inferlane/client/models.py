"""Response models of the REST contract (`/api/v1`), shared by the sync and async clients.

They ignore fields they do not know, so a newer gateway does not break an older client.
"""

import uuid
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")

TaskStatus = Literal["accepted", "queued", "running", "ready", "error", "cancelled"]
ExportFormat = Literal["csv", "jsonl"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"ready", "error", "cancelled"})


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", protected_namespaces=())


class Page(Model, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor=` for the next (None: the end)."""

    items: list[T]
    next_cursor: str | None = None


class User(Model):
    id: uuid.UUID
    email: str
    role: str
    created_at: datetime


class Tokens(Model):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int


class ApiKey(Model):
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None


class ApiKeyCreated(ApiKey):
    secret: str  # shown once: send it as `Authorization: Bearer <secret>`


class ShareLink(Model):
    """A working share link of one of your datasets (its secret token was shown once)."""

    id: uuid.UUID
    expires_at: datetime


class Share(ShareLink):
    token: str
    url: str  # opens a page in a browser; scripts get JSON from it


class Column(Model):
    name: str
    type: str


class Dataset(Model):
    id: uuid.UUID
    name: str
    format: str
    size_bytes: int
    sha256: str
    rows: int
    columns: list[Column]
    text_column: str | None = None
    created_at: datetime


class DatasetDetail(Dataset):
    preview: list[dict[str, Any]] = []


class Rows(Model):
    items: list[dict[str, Any]]
    offset: int


class TensorSpec(Model):
    name: str
    datatype: str


class CardMetrics(Model):
    split: str
    macro_f1: float
    accuracy: float
    f1: dict[str, float] = {}


class ModelVersion(Model):
    version: str
    ready: bool
    card: CardMetrics | None = None


class ModelInfo(Model):
    """A model of the catalog (`Model` is this module's base class, hence the name)."""

    name: str
    kind: str
    version: str
    inputs: list[TensorSpec] = []
    outputs: list[TensorSpec] = []
    labels: list[str] = []
    max_text_length: int | None = None
    ready: bool
    versions: list[ModelVersion] = []


class Prediction(Model):
    model: str
    version: str
    outputs: list[dict[str, Any]]


class Progress(Model):
    done: int
    total: int
    failed: int
    rows_per_second: float = 0.0  # 0 until a running task has a rate
    estimated_completion: datetime | None = None  # None until then and once finished

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


class TaskError(Model):
    code: str
    message: str


class SingleSummary(Model):
    label: str | None = None
    scores: dict[str, float]


class ClassEvaluation(Model):
    label: str
    precision: float
    recall: float
    f1: float
    support: int


class Evaluation(Model):
    """The predictions against a label column; confusion_matrix[i][j] counts the rows
    expected as labels[i] and predicted as labels[j]."""

    label_column: str
    evaluated: int
    accuracy: float
    macro_f1: float
    per_class: list[ClassEvaluation]
    labels: list[str]
    confusion_matrix: list[list[int]]
    unknown_labels: int
    unlabelled: int


class BatchSummary(Model):
    counts: dict[str, int]
    percentages: dict[str, float]
    failed: int
    evaluation: Evaluation | None = None


class Task(Model):
    id: uuid.UUID
    type: Literal["single", "batch"]
    model: str
    status: TaskStatus
    progress: Progress
    # Batch first: a batch summary never validates as a single one (no `scores`).
    summary: BatchSummary | SingleSummary | None = None
    error: TaskError | None = None
    dataset_id: uuid.UUID | None = None
    dataset_name: str | None = None  # batch tasks: the dataset's name when created
    column: str | None = None
    limit: int | None = None
    version: str | None = None
    label_column: str | None = None
    id_column: str | None = None
    created_at: datetime
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = None  # then its results go (410 `expired`); summary stays

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def evaluation(self) -> Evaluation | None:
        """The evaluation of a finished task with a label column; None otherwise."""
        return self.summary.evaluation if isinstance(self.summary, BatchSummary) else None


class ResultRow(Model):
    """One row's outcome: `label` and `scores` (classifiers), `output` (other models) or
    `error` (the row failed)."""

    row_index: int
    input: dict[str, Any]
    label: str | None = None
    scores: dict[str, float] | None = None
    output: dict[str, Any] | None = None
    error: TaskError | None = None
    expected_label: str | None = None
    custom_id: str | None = None  # the row's value in the task's id column


class AuditEntry(Model):
    """One thing that happened to a task: `event`, when, who (`actor_id`) and `details`."""

    event: str
    occurred_at: datetime
    actor_id: uuid.UUID | None = None
    details: dict[str, Any] = {}


class SearchHit(Model):
    """A row found by `search`: its text, cosine similarity and the dataset's other columns."""

    row_index: int
    text: str
    similarity: float
    columns: dict[str, Any] | None = None


class SearchResults(Model):
    items: list[SearchHit]
    approximate: bool  # the task's HNSW index answered (else an exact scan)


class TaskEvent(Model):
    """One Server-Sent Event of `GET /tasks/{id}/events`: `task` (a state change; `task` is
    set), `progress` (`progress` is set) or `error` (the stream broke; `error_code`)."""

    event: str
    task: Task | None = None
    progress: Progress | None = None
    error_code: str | None = None


class Webhook(Model):
    """One of your webhook endpoints: `state` is `active` or `disabled` (then see
    `disabled_reason`, and enable it again)."""

    id: uuid.UUID
    url: str
    description: str = ""
    state: Literal["active", "disabled"]
    disabled_reason: str | None = None
    created_at: datetime
    secret_rotated_at: datetime


class WebhookCreated(Webhook):
    secret: str  # shown once: `whsec_…`, what `verify_webhook` and Standard Webhooks libraries take


class WebhookAttempt(Model):
    """One delivery attempt of an endpoint's log: your status code (None: no answer)."""

    at: datetime
    webhook_id: str  # the delivery's `webhook-id`, the same on every retry
    event_type: str
    task_id: uuid.UUID
    attempt: int
    status_code: int | None = None
    latency_ms: float
    error: str | None = None


class WebhookAttempts(Page[WebhookAttempt]):
    """A page of an endpoint's delivery log, newest first, and the endpoint as it is now."""

    endpoint: Webhook
