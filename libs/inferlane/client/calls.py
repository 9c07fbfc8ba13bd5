"""Every REST call of the contract, described once: method, path, parameters, and how to read
the answer. `Client` and `AsyncClient` only send these."""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from .models import (
    ApiKey,
    ApiKeyCreated,
    AuditEntry,
    Dataset,
    DatasetDetail,
    ModelInfo,
    Page,
    Prediction,
    ResultRow,
    Rows,
    SearchResults,
    Share,
    ShareLink,
    Task,
    Tokens,
    User,
    Webhook,
    WebhookAttempts,
    WebhookCreated,
)
from .uploads import ProgressCallback, Upload

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Id = uuid.UUID | str
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str  # under /api/v1
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    form: Mapping[str, str] | None = None
    upload: Upload | None = None
    headers: Mapping[str, str] | None = None


def _model(cls: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: cls.model_validate_json(response.content)


def _nothing(response: httpx.Response) -> None:
    return None


def _page(limit: int | None, cursor: str | None, **filters: Any) -> dict[str, Any]:
    params = {"limit": limit, "cursor": cursor, **filters}
    return {k: v for k, v in params.items() if v is not None}


def _idempotent(key: str | None) -> dict[str, str]:
    """Every submission carries a key, so a retried POST cannot start a second task."""
    return {IDEMPOTENCY_HEADER: key or str(uuid.uuid4())}


# -- auth --------------------------------------------------------------------------------------


def register(email: str, password: str) -> Call[User]:
    return Call("POST", "/auth/register", _model(User), json={"email": email, "password": password})


def login(email: str, password: str) -> Call[Tokens]:
    form = {"username": email, "password": password}
    return Call("POST", "/auth/token", _model(Tokens), form=form)


def refresh(refresh_token: str) -> Call[Tokens]:
    return Call("POST", "/auth/refresh", _model(Tokens), json={"refresh_token": refresh_token})


def logout(refresh_token: str) -> Call[None]:
    return Call("POST", "/auth/logout", _nothing, json={"refresh_token": refresh_token})


def me() -> Call[User]:
    return Call("GET", "/auth/me", _model(User))


def create_api_key(name: str) -> Call[ApiKeyCreated]:
    return Call("POST", "/auth/api-keys", _model(ApiKeyCreated), json={"name": name})


def list_api_keys(limit: int | None, cursor: str | None) -> Call[Page[ApiKey]]:
    return Call("GET", "/auth/api-keys", _model(Page[ApiKey]), params=_page(limit, cursor))


def revoke_api_key(api_key_id: Id) -> Call[None]:
    return Call("DELETE", f"/auth/api-keys/{api_key_id}", _nothing)


# -- datasets ----------------------------------------------------------------------------------


def upload_dataset(
    path: Path, name: str | None, progress: ProgressCallback | None
) -> Call[Dataset]:
    fields = {"name": name} if name else {}
    return Call("POST", "/datasets", _model(Dataset), upload=Upload(path, fields, progress))


def list_datasets(limit: int | None, cursor: str | None) -> Call[Page[Dataset]]:
    return Call("GET", "/datasets", _model(Page[Dataset]), params=_page(limit, cursor))


def get_dataset(dataset_id: Id) -> Call[DatasetDetail]:
    return Call("GET", f"/datasets/{dataset_id}", _model(DatasetDetail))


def dataset_rows(dataset_id: Id, offset: int, limit: int | None) -> Call[Rows]:
    params = {"offset": offset, **_page(limit, None)}
    return Call("GET", f"/datasets/{dataset_id}/rows", _model(Rows), params=params)


def delete_dataset(dataset_id: Id) -> Call[None]:
    return Call("DELETE", f"/datasets/{dataset_id}", _nothing)


def create_share(dataset_id: Id, expires_in: int | None) -> Call[Share]:
    body = {"expires_in": expires_in} if expires_in else {}
    return Call("POST", f"/datasets/{dataset_id}/shares", _model(Share), json=body)


def list_shares(dataset_id: Id) -> Call[Page[ShareLink]]:
    return Call("GET", f"/datasets/{dataset_id}/shares", _model(Page[ShareLink]))


def revoke_share(dataset_id: Id, share_id: Id) -> Call[None]:
    return Call("DELETE", f"/datasets/{dataset_id}/shares/{share_id}", _nothing)


# -- models ------------------------------------------------------------------------------------


def list_models() -> Call[Page[ModelInfo]]:
    return Call("GET", "/models", _model(Page[ModelInfo]))


def get_model(name: str) -> Call[ModelInfo]:
    return Call("GET", f"/models/{name}", _model(ModelInfo))


def predict(name: str, inputs: list[dict[str, Any]], version: str | None) -> Call[Prediction]:
    body: dict[str, Any] = {"inputs": inputs}
    if version is not None:
        body["version"] = version
    return Call("POST", f"/models/{name}/predict", _model(Prediction), json=body)


# -- tasks -------------------------------------------------------------------------------------


def submit_single(
    model: str,
    inputs: dict[str, Any],
    idempotency_key: str | None,
    version: str | None = None,
    callback_url: str | None = None,
) -> Call[Task]:
    body: dict[str, Any] = {"type": "single", "model": model, "input": inputs}
    if version is not None:
        body["version"] = version
    if callback_url is not None:
        body["callback_url"] = callback_url
    return Call("POST", "/tasks", _model(Task), json=body, headers=_idempotent(idempotency_key))


def submit_batch(
    model: str,
    dataset_id: Id,
    column: str | None,
    limit: int | None,
    idempotency_key: str | None,
    version: str | None = None,
    label_column: str | None = None,
    id_column: str | None = None,
    callback_url: str | None = None,
) -> Call[Task]:
    body: dict[str, Any] = {"type": "batch", "model": model, "dataset_id": str(dataset_id)}
    body |= _batch_options(column, limit, version, label_column, id_column, callback_url)
    return Call("POST", "/tasks", _model(Task), json=body, headers=_idempotent(idempotency_key))


def submit_batch_file(
    path: Path,
    model: str,
    column: str | None,
    limit: int | None,
    idempotency_key: str | None,
    progress: ProgressCallback | None,
    version: str | None = None,
    label_column: str | None = None,
    id_column: str | None = None,
    callback_url: str | None = None,
) -> Call[Task]:
    fields = {"model": model}
    options = _batch_options(column, limit, version, label_column, id_column, callback_url)
    fields |= {key: str(value) for key, value in options.items()}
    upload = Upload(path, fields, progress)
    headers = _idempotent(idempotency_key)
    return Call("POST", "/tasks/batch-file", _model(Task), upload=upload, headers=headers)


def _batch_options(
    column: str | None,
    limit: int | None,
    version: str | None,
    label_column: str | None,
    id_column: str | None,
    callback_url: str | None = None,
) -> dict[str, Any]:
    """The batch options that are set."""
    options = {
        "column": column,
        "limit": limit,
        "version": version,
        "label_column": label_column,
        "id_column": id_column,
        "callback_url": callback_url,
    }
    return {key: value for key, value in options.items() if value is not None}


def evaluate(
    source: Id | Path,
    model: str,
    label_column: str,
    version: str | None,
    column: str | None,
    progress: ProgressCallback | None,
) -> Call[Task]:
    """A batch task that evaluates `model` against `label_column`: over one of your datasets
    when `source` is its id (a UUID that names no file here), else over the file uploaded."""
    if isinstance(source, uuid.UUID) or _names_no_file(source):
        return submit_batch(model, str(source), column, None, None, version, label_column)
    return submit_batch_file(
        Path(source), model, column, None, None, progress, version, label_column
    )


def _names_no_file(source: str | Path) -> bool:
    if isinstance(source, Path) or Path(source).exists():
        return False
    try:
        uuid.UUID(source)
    except ValueError:
        return False
    return True


def list_tasks(
    status: str | None,
    model: str | None,
    limit: int | None,
    cursor: str | None,
    dataset_id: Id | None = None,
) -> Call[Page[Task]]:
    dataset = str(dataset_id) if dataset_id is not None else None
    params = _page(limit, cursor, status=status, model=model, dataset_id=dataset)
    return Call("GET", "/tasks", _model(Page[Task]), params=params)


def get_task(task_id: Id) -> Call[Task]:
    return Call("GET", f"/tasks/{task_id}", _model(Task))


def cancel_task(task_id: Id) -> Call[Task]:
    return Call("POST", f"/tasks/{task_id}/cancel", _model(Task))


def task_results(task_id: Id, limit: int | None, cursor: str | None) -> Call[Page[ResultRow]]:
    params = _page(limit, cursor)
    return Call("GET", f"/tasks/{task_id}/results", _model(Page[ResultRow]), params=params)


def task_audit(task_id: Id, limit: int | None, cursor: str | None) -> Call[Page[AuditEntry]]:
    params = _page(limit, cursor)
    return Call("GET", f"/tasks/{task_id}/audit", _model(Page[AuditEntry]), params=params)


def search(
    task_id: Id,
    query: str | None,
    row_index: int | None,
    k: int,
    min_similarity: float | None,
    label_task_id: Id | None,
    labels: list[str] | None,
) -> Call[SearchResults]:
    body: dict[str, Any] = {"k": k}
    if query is not None:
        body["query"] = query
    if row_index is not None:
        body["row_index"] = row_index
    if min_similarity is not None:
        body["min_similarity"] = min_similarity
    if label_task_id is not None:
        body |= {"label_task_id": str(label_task_id), "labels": labels or []}
    return Call("POST", f"/tasks/{task_id}/search", _model(SearchResults), json=body)


# -- webhooks ----------------------------------------------------------------------------------


def create_webhook(url: str, description: str | None) -> Call[WebhookCreated]:
    body = {"url": url, **({"description": description} if description else {})}
    return Call("POST", "/webhooks", _model(WebhookCreated), json=body)


def list_webhooks(limit: int | None, cursor: str | None) -> Call[Page[Webhook]]:
    return Call("GET", "/webhooks", _model(Page[Webhook]), params=_page(limit, cursor))


def get_webhook(webhook_id: Id) -> Call[Webhook]:
    return Call("GET", f"/webhooks/{webhook_id}", _model(Webhook))


def delete_webhook(webhook_id: Id) -> Call[None]:
    return Call("DELETE", f"/webhooks/{webhook_id}", _nothing)


def rotate_webhook_secret(webhook_id: Id) -> Call[WebhookCreated]:
    return Call("POST", f"/webhooks/{webhook_id}/rotate-secret", _model(WebhookCreated))


def enable_webhook(webhook_id: Id) -> Call[Webhook]:
    return Call("POST", f"/webhooks/{webhook_id}/enable", _model(Webhook))


def webhook_deliveries(
    webhook_id: Id, limit: int | None, cursor: str | None
) -> Call[WebhookAttempts]:
    params = _page(limit, cursor)
    path = f"/webhooks/{webhook_id}/deliveries"
    return Call("GET", path, _model(WebhookAttempts), params=params)


# -- streams (the clients read these answers as they arrive) -----------------------------------


def export_path(task_id: Id) -> str:
    return f"/tasks/{task_id}/results"


def download_path(dataset_id: Id) -> str:
    return f"/datasets/{dataset_id}/download"


def events_path(task_id: Id) -> str:
    return f"/tasks/{task_id}/events"
