# Generated from aio.py by tools/generate_sync_client.py: do not edit.
"""The client's calls over HTTP, one method per API operation.

aio.py (`AsyncClient`, awaited) is the source; sync.py (`Client`, blocking) is generated from
it by unasync (tools/generate_sync_client.py): edit aio.py, then run `make sync-client`."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from httpx_sse import EventSource

from . import calls
from .base import (
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    RECONNECT_PAUSE,
    RECONNECTS,
    api_base,
    default_headers,
    events_timeout,
    partial_path,
    raise_for_problem,
    request_options,
    unreachable,
)
from .calls import Call, Id
from .errors import TransportError
from .models import (
    ApiKey,
    ApiKeyCreated,
    AuditEntry,
    Dataset,
    DatasetDetail,
    ExportFormat,
    ModelInfo,
    Page,
    Prediction,
    ResultRow,
    Rows,
    SearchResults,
    Share,
    ShareLink,
    Task,
    TaskEvent,
    Tokens,
    User,
    Webhook,
    WebhookAttempts,
    WebhookCreated,
)
from .retries import RetryPolicy
from .sse import task_event
from .uploads import ProgressCallback

T = TypeVar("T")


class Client:
    """Made with the gateway's url and `api_key=…`, or with the url alone and then
    `login(email, password)`; close it, or use it as a context manager."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        token: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=api_base(url),
            headers=default_headers(api_key or token),
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def use_credential(self, credential: str | None) -> None:
        """Send this access token or API key from now on (None: none)."""
        self._http.headers.pop("Authorization", None)
        self._http.headers.update(default_headers(credential))

    # -- plumbing ------------------------------------------------------------------------------

    def send(self, call: Call[T]) -> T:
        """Send one call, retrying 429/503 as the policy says, and read its answer."""
        for attempt in self.retry.sync():
            with attempt:
                return call.parse(self._attempt(call))
        raise AssertionError("unreachable: tenacity re-raises the last error")

    def _attempt(self, call: Call[Any]) -> httpx.Response:
        options = request_options(call)
        try:
            if call.upload is None:
                response = self._http.request(call.method, call.path, **options)
            else:
                with call.upload.open() as (fields, files):
                    response = self._http.request(
                        call.method, call.path, data=fields, files=files, **options
                    )
        except httpx.TransportError as exc:
            raise unreachable(self._http.base_url, exc) from exc
        return raise_for_problem(response)

    @contextmanager
    def _stream(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        timeouts: httpx.Timeout | None = None,
    ) -> Iterator[httpx.Response]:
        response: httpx.Response | None = None
        for attempt in self.retry.sync():
            with attempt:
                request = self._http.build_request(
                    "GET", path, params=params, timeout=timeouts or self.timeout
                )
                try:
                    response = self._http.send(request, stream=True)
                    if response.is_error:
                        response.read()
                        response.close()
                except httpx.TransportError as exc:
                    raise unreachable(self._http.base_url, exc) from exc
                raise_for_problem(response)
        assert response is not None
        try:
            yield response
        finally:
            response.close()

    # -- auth ----------------------------------------------------------------------------------

    def register(self, email: str, password: str) -> User:
        return self.send(calls.register(email, password))

    def login(self, email: str, password: str) -> Tokens:
        """Sign in; this client then sends the access token (short-lived: for long-running
        scripts prefer an API key)."""
        tokens = self.send(calls.login(email, password))
        self.use_credential(tokens.access_token)
        return tokens

    def refresh(self, refresh_token: str) -> Tokens:
        tokens = self.send(calls.refresh(refresh_token))
        self.use_credential(tokens.access_token)
        return tokens

    def logout(self, refresh_token: str) -> None:
        self.send(calls.logout(refresh_token))
        self.use_credential(None)

    def me(self) -> User:
        return self.send(calls.me())

    def create_api_key(self, name: str) -> ApiKeyCreated:
        return self.send(calls.create_api_key(name))

    def list_api_keys(self, *, limit: int | None = None, cursor: str | None = None) -> Page[ApiKey]:
        return self.send(calls.list_api_keys(limit, cursor))

    def revoke_api_key(self, api_key_id: Id) -> None:
        self.send(calls.revoke_api_key(api_key_id))

    # -- datasets ------------------------------------------------------------------------------

    def upload_dataset(
        self, path: str | Path, *, name: str | None = None, progress: ProgressCallback | None = None
    ) -> Dataset:
        """Upload a CSV/TSV/JSON/JSONL file, streamed; `progress(sent, total)` after each chunk."""
        return self.send(calls.upload_dataset(Path(path), name, progress))

    def list_datasets(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Dataset]:
        return self.send(calls.list_datasets(limit, cursor))

    def get_dataset(self, dataset_id: Id) -> DatasetDetail:
        return self.send(calls.get_dataset(dataset_id))

    def dataset_rows(self, dataset_id: Id, *, offset: int = 0, limit: int | None = None) -> Rows:
        return self.send(calls.dataset_rows(dataset_id, offset, limit))

    def delete_dataset(self, dataset_id: Id) -> None:
        self.send(calls.delete_dataset(dataset_id))

    def create_share(self, dataset_id: Id, *, expires_in: int | None = None) -> Share:
        """A read-only link that needs no sign-in (up to 7 days; the default when None)."""
        return self.send(calls.create_share(dataset_id, expires_in))

    def list_shares(self, dataset_id: Id) -> list[ShareLink]:
        return (self.send(calls.list_shares(dataset_id))).items

    def revoke_share(self, dataset_id: Id, share_id: Id) -> None:
        self.send(calls.revoke_share(dataset_id, share_id))

    # -- models --------------------------------------------------------------------------------

    def list_models(self) -> list[ModelInfo]:
        return (self.send(calls.list_models())).items

    def get_model(self, name: str) -> ModelInfo:
        return self.send(calls.get_model(name))

    def predict(
        self, model: str, inputs: list[dict[str, Any]], *, version: str | None = None
    ) -> Prediction:
        return self.send(calls.predict(model, inputs, version))

    # -- tasks ---------------------------------------------------------------------------------

    def submit_single(
        self,
        model: str,
        inputs: dict[str, Any],
        *,
        version: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> Task:
        """`callback_url`: also POST the task's terminal event there (unsigned)."""
        call = calls.submit_single(model, inputs, idempotency_key, version, callback_url)
        return self.send(call)

    def submit_batch(
        self,
        model: str,
        dataset_id: Id,
        *,
        column: str | None = None,
        limit: int | None = None,
        version: str | None = None,
        label_column: str | None = None,
        id_column: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> Task:
        return self.send(
            calls.submit_batch(
                model,
                dataset_id,
                column,
                limit,
                idempotency_key,
                version,
                label_column,
                id_column,
                callback_url,
            )
        )

    def submit_batch_file(
        self,
        path: str | Path,
        model: str,
        *,
        column: str | None = None,
        limit: int | None = None,
        version: str | None = None,
        label_column: str | None = None,
        id_column: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> Task:
        """Upload a file and start a batch over it in one call."""
        call = calls.submit_batch_file(
            Path(path),
            model,
            column,
            limit,
            idempotency_key,
            progress,
            version,
            label_column,
            id_column,
            callback_url,
        )
        return self.send(call)

    def list_tasks(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        dataset_id: Id | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Task]:
        return self.send(calls.list_tasks(status, model, limit, cursor, dataset_id))

    def get_task(self, task_id: Id) -> Task:
        return self.send(calls.get_task(task_id))

    def cancel_task(self, task_id: Id) -> Task:
        return self.send(calls.cancel_task(task_id))

    def search(
        self,
        task_id: Id,
        query: str | None = None,
        *,
        row_index: int | None = None,
        k: int = 10,
        min_similarity: float | None = None,
        label_task_id: Id | None = None,
        labels: list[str] | None = None,
    ) -> SearchResults:
        """The k rows of a finished embedding task nearest to `query` (or to row `row_index`)."""
        call = calls.search(task_id, query, row_index, k, min_similarity, label_task_id, labels)
        return self.send(call)

    def task_audit(
        self, task_id: Id, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[AuditEntry]:
        """A page of the task's audit trail, oldest first (admins: any task's)."""
        return self.send(calls.task_audit(task_id, limit, cursor))

    # -- webhooks ------------------------------------------------------------------------------

    def create_webhook(self, url: str, *, description: str | None = None) -> WebhookCreated:
        """Register an endpoint for your tasks' terminal events; its `secret` is shown only
        here (check deliveries with `verify_webhook`)."""
        return self.send(calls.create_webhook(url, description))

    def list_webhooks(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Webhook]:
        return self.send(calls.list_webhooks(limit, cursor))

    def get_webhook(self, webhook_id: Id) -> Webhook:
        return self.send(calls.get_webhook(webhook_id))

    def delete_webhook(self, webhook_id: Id) -> None:
        self.send(calls.delete_webhook(webhook_id))

    def rotate_webhook_secret(self, webhook_id: Id) -> WebhookCreated:
        """A new secret, shown only here; the old one stops signing at once."""
        return self.send(calls.rotate_webhook_secret(webhook_id))

    def enable_webhook(self, webhook_id: Id) -> Webhook:
        return self.send(calls.enable_webhook(webhook_id))

    def webhook_deliveries(
        self, webhook_id: Id, *, limit: int | None = None, cursor: str | None = None
    ) -> WebhookAttempts:
        """A page of the endpoint's delivery log, newest first (one item per attempt)."""
        return self.send(calls.webhook_deliveries(webhook_id, limit, cursor))

    # -- task results ------------------------------------------------------------------------------

    def results(
        self, task_id: Id, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[ResultRow]:
        return self.send(calls.task_results(task_id, limit, cursor))

    def iter_results(self, task_id: Id, *, page_size: int = 100) -> Iterator[ResultRow]:
        cursor: str | None = None
        while True:
            page = self.results(task_id, limit=page_size, cursor=cursor)
            yield from page.items
            if not (cursor := page.next_cursor):
                return

    def export_results(
        self,
        task_id: Id,
        destination: str | Path,
        *,
        format: ExportFormat = "csv",
        progress: ProgressCallback | None = None,
    ) -> int:
        """Stream the whole export to a file; returns its size. `progress(received, total)`
        (total 0 when the server does not say)."""
        return self._save(calls.export_path(task_id), {"format": format}, destination, progress)

    def download_dataset(
        self, dataset_id: Id, destination: str | Path, *, progress: ProgressCallback | None = None
    ) -> int:
        """Stream a dataset's stored file (UTF-8) to `destination`; returns its size."""
        return self._save(calls.download_path(dataset_id), None, destination, progress)

    def _save(
        self,
        path: str,
        params: dict[str, Any] | None,
        destination: str | Path,
        progress: ProgressCallback | None,
    ) -> int:
        """Into a partial file first, renamed when complete: no half file is ever left."""
        target = Path(destination)
        part = partial_path(target)
        try:
            with self._stream(path, params=params) as response:
                total = int(response.headers.get("content-length", 0))
                received = 0
                with part.open("wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                        received += len(chunk)
                        if progress is not None:
                            progress(received, total)
            part.replace(target)
        except httpx.TransportError as exc:
            raise unreachable(self._http.base_url, exc) from exc
        finally:
            part.unlink(missing_ok=True)
        return received

    def watch(self, task_id: Id) -> Iterator[TaskEvent]:
        """The task's events as they happen, until it finishes (the last event carries the
        finished task). A dropped stream is followed again."""
        quiet = 0  # streams in a row that ended with nothing new
        while True:
            received = False
            try:
                with self._stream(
                    calls.events_path(task_id), timeouts=events_timeout(self.timeout)
                ) as response:
                    for sse in EventSource(response).iter_sse():
                        if (event := task_event(sse)) is None:
                            continue
                        received = True
                        yield event
                        if event.task is not None and event.task.finished:
                            return
            except (httpx.TransportError, TransportError):
                pass
            task = self.get_task(task_id)
            if task.finished:
                yield TaskEvent(event="task", task=task)
                return
            quiet = 0 if received else quiet + 1
            if quiet > RECONNECTS:
                raise TransportError(f"The event stream of task {task_id} keeps ending.")
            time.sleep(RECONNECT_PAUSE * quiet)

    def wait(self, task_id: Id) -> Task:
        """Block until the task finishes (ready, error or cancelled) and return it."""
        last: Task | None = None
        for event in self.watch(task_id):
            if event.task is not None:
                last = event.task
        assert last is not None and last.finished
        return last

    def evaluate(
        self,
        source: Id | Path,
        *,
        model: str,
        label_column: str,
        version: str | None = None,
        column: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> Task:
        """Run `model` over a labelled file (uploaded) or one of your datasets (its id), wait
        for the task, and return it: `task.evaluation` holds accuracy, macro-F1, per-label
        figures and the confusion matrix against `label_column` (None if the task failed)."""
        call = calls.evaluate(source, model, label_column, version, column, progress)
        task = self.send(call)
        return self.wait(task.id)

    def analyse(self, text: str, *, model: str = "sentiment") -> Task:
        """Submit one text as a single task and wait for its label and scores."""
        task = self.submit_single(model, {"text": text})
        return self.wait(task.id)
