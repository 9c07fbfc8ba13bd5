"""Inferlane's Python SDK: `Client` (blocking) and `AsyncClient` (asyncio) over the REST API.

from inferlane.client import Client

with Client("http://127.0.0.1:8080", api_key="ilk_…") as client:
    dataset = client.upload_dataset("reviews.csv")
    task = client.submit_batch("sentiment", dataset.id, column="text")
    task = client.wait(task.id)
    client.export_results(task.id, "results.csv")
"""

from .aio import AsyncClient
from .base import DEFAULT_URL
from .errors import (
    ApiError,
    AuthenticationError,
    Conflict,
    Gone,
    InferlaneError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    Problem,
    RateLimited,
    ServerError,
    TaskFailed,
    TransportError,
)
from .models import (
    ApiKey,
    ApiKeyCreated,
    AuditEntry,
    BatchSummary,
    Dataset,
    DatasetDetail,
    ModelInfo,
    Page,
    Prediction,
    Progress,
    ResultRow,
    Rows,
    SearchHit,
    SearchResults,
    Share,
    ShareLink,
    SingleSummary,
    Task,
    TaskEvent,
    Tokens,
    User,
    Webhook,
    WebhookAttempt,
    WebhookAttempts,
    WebhookCreated,
)
from .retries import NO_RETRY, RetryPolicy
from .sync import Client
from .webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "DEFAULT_URL",
    "NO_RETRY",
    "ApiError",
    "ApiKey",
    "ApiKeyCreated",
    "AsyncClient",
    "AuditEntry",
    "AuthenticationError",
    "BatchSummary",
    "Client",
    "Conflict",
    "Dataset",
    "DatasetDetail",
    "Gone",
    "InferlaneError",
    "InvalidRequest",
    "ModelInfo",
    "NotFound",
    "Page",
    "PermissionDenied",
    "Prediction",
    "Problem",
    "Progress",
    "RateLimited",
    "ResultRow",
    "RetryPolicy",
    "Rows",
    "SearchHit",
    "SearchResults",
    "ServerError",
    "Share",
    "ShareLink",
    "SingleSummary",
    "Task",
    "TaskEvent",
    "TaskFailed",
    "Tokens",
    "TransportError",
    "User",
    "Webhook",
    "WebhookAttempt",
    "WebhookAttempts",
    "WebhookCreated",
    "WebhookVerificationError",
    "verify_webhook",
]
