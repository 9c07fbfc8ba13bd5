"""The client's calls over HTTP, one method per API operation.

aio.py (`AsyncClient`, awaited) is the source; sync.py (`Client`, blocking) is generated from
it by unasync (tools/generate_sync_client.py): edit aio.py, then run `make sync-client`."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


class AsyncClient:
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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=api_base(url),
            headers=default_headers(api_key or token),
            timeout=timeout,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def use_credential(self, credential: str | None) -> None:
        """Send this access token or API key from now on (None: none)."""
        self._http.headers.pop("Authorization", None)
        self._http.headers.update(default_headers(credential))

    # -- plumbing ------------------------------------------------------------------------------

    async def send(self, call: Call[T]) -> T:
        """Send one call, retrying 429/503 as the policy says, and read its answer."""
        async for attempt in self.retry.asynchronous():
            with attempt:
                return call.parse(await self._attempt(call))
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _attempt(self, call: Call[Any]) -> httpx.Response:
        options = request_options(call)
        try:
            if call.upload is None:
                response = await self._http.request(call.method, call.path, **options)
            else:
                with call.upload.open() as (fields, files):
                    response = await self._http.request(
                        call.method, call.path, data=fields, files=files, **options
                    )
        except httpx.TransportError as exc:
            raise unreachable(self._http.base_url, exc) from exc
        return raise_for_problem(response)

    @asynccontextmanager
    async def _stream(
        self,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        timeouts: httpx.Timeout | None = None,
    ) -> AsyncIterator[httpx.Response]:
        response: httpx.Response | None = None
        async for attempt in self.retry.asynchronous():
            with attempt:
                request = self._http.build_request(
                    "GET", path, params=params, timeout=timeouts or self.timeout
                )
                try:
                    response = await self._http.send(request, stream=True)
                    if response.is_error:
                        await response.aread()
                        await response.aclose()
                except httpx.TransportError as exc:
                    raise unreachable(self._http.base_url, exc) from exc
                raise_for_problem(response)
        assert response is not None
        try:
            yield response
        finally:
            await response.aclose()

    # -- auth ----------------------------------------------------------------------------------

    async def register(self, email: str, password: str) -> User:
        return await self.send(calls.register(email, password))

    async def login(self, email: str, password: str) -> Tokens:
        """Sign in; this client then sends the access token (short-lived: for long-running
        scripts prefer an API key)."""
        tokens = await self.send(calls.login(email, password))
        self.use_credential(tokens.access_token)
        return tokens

    async def refresh(self, refresh_token: str) -> Tokens:
        tokens = await self.send(calls.refresh(refresh_token))
        self.use_credential(tokens.access_token)
        return tokens

    async def logout(self, refresh_token: str) -> None:
        await self.send(calls.logout(refresh_token))
        self.use_credential(None)

    async def me(self) -> User:
        return await self.send(calls.me())

    async def create_api_key(self, name: str) -> ApiKeyCreated:
        return await self.send(calls.create_api_key(name))

    async def list_api_keys(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[ApiKey]:
        return await self.send(calls.list_api_keys(limit, cursor))

    async def revoke_api_key(self, api_key_id: Id) -> None:
        await self.send(calls.revoke_api_key(api_key_id))

    # -- datasets ------------------------------------------------------------------------------

    async def upload_dataset(
        self, path: str | Path, *, name: str | None = None, progress: ProgressCallback | None = None
    ) -> Dataset:
        """Upload a CSV/TSV/JSON/JSONL file, streamed; `progress(sent, total)` after each chunk."""
        return await self.send(calls.upload_dataset(Path(path), name, progress))

    async def list_datasets(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Dataset]:
        return await self.send(calls.list_datasets(limit, cursor))

    async def get_dataset(self, dataset_id: Id) -> DatasetDetail:
        return await self.send(calls.get_dataset(dataset_id))

    async def dataset_rows(
        self, dataset_id: Id, *, offset: int = 0, limit: int | None = None
    ) -> Rows:
        return await self.send(calls.dataset_rows(dataset_id, offset, limit))

    async def delete_dataset(self, dataset_id: Id) -> None:
        await self.send(calls.delete_dataset(dataset_id))

    async def create_share(self, dataset_id: Id, *, expires_in: int | None = None) -> Share:
        """A read-only link that needs no sign-in (up to 7 days; the default when None)."""
        return await self.send(calls.create_share(dataset_id, expires_in))

    async def list_shares(self, dataset_id: Id) -> list[ShareLink]:
        return (await self.send(calls.list_shares(dataset_id))).items

    async def revoke_share(self, dataset_id: Id, share_id: Id) -> None:
        await self.send(calls.revoke_share(dataset_id, share_id))

    # -- models --------------------------------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        return (await self.send(calls.list_models())).items

    async def get_model(self, name: str) -> ModelInfo:
        return await self.send(calls.get_model(name))

    async def predict(
        self, model: str, inputs: list[dict[str, Any]], *, version: str | None = None
    ) -> Prediction:
        return await self.send(calls.predict(model, inputs, version))

    # -- tasks ---------------------------------------------------------------------------------

    async def submit_single(
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
        return await self.send(call)

    async def submit_batch(
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
        return await self.send(
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

    async def submit_batch_file(
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
        return await self.send(call)

    async def list_tasks(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        dataset_id: Id | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Page[Task]:
        return await self.send(calls.list_tasks(status, model, limit, cursor, dataset_id))

    async def get_task(self, task_id: Id) -> Task:
        return await self.send(calls.get_task(task_id))

    async def cancel_task(self, task_id: Id) -> Task:
        return await self.send(calls.cancel_task(task_id))

    async def search(
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
        return await self.send(call)

    async def task_audit(
        self, task_id: Id, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[AuditEntry]:
        """A page of the task's audit trail, oldest first (admins: any task's)."""
        return await self.send(calls.task_audit(task_id, limit, cursor))

    # -- webhooks ------------------------------------------------------------------------------

    async def create_webhook(self, url: str, *, description: str | None = None) -> WebhookCreated:
        """Register an endpoint for your tasks' terminal events; its `secret` is shown only
        here (check deliveries with `verify_webhook`)."""
        return await self.send(calls.create_webhook(url, description))

    async def list_webhooks(
        self, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[Webhook]:
        return await self.send(calls.list_webhooks(limit, cursor))

    async def get_webhook(self, webhook_id: Id) -> Webhook:
        return await self.send(calls.get_webhook(webhook_id))

    async def delete_webhook(self, webhook_id: Id) -> None:
        await self.send(calls.delete_webhook(webhook_id))

    async def rotate_webhook_secret(self, webhook_id: Id) -> WebhookCreated:
        """A new secret, shown only here; the old one stops signing at once."""
        return await self.send(calls.rotate_webhook_secret(webhook_id))

    async def enable_webhook(self, webhook_id: Id) -> Webhook:
        return await self.send(calls.enable_webhook(webhook_id))

    async def webhook_deliveries(
        self, webhook_id: Id, *, limit: int | None = None, cursor: str | None = None
    ) -> WebhookAttempts:
        """A page of the endpoint's delivery log, newest first (one item per attempt)."""
        return await self.send(calls.webhook_deliveries(webhook_id, limit, cursor))

    # -- task results ------------------------------------------------------------------------------

    async def results(
        self, task_id: Id, *, limit: int | None = None, cursor: str | None = None
    ) -> Page[ResultRow]:
        return await self.send(calls.task_results(task_id, limit, cursor))

    async def iter_results(self, task_id: Id, *, page_size: int = 100) -> AsyncIterator[ResultRow]:
        cursor: str | None = None
        while True:
            page = await self.results(task_id, limit=page_size, cursor=cursor)
            for row in page.items:
                yield row
            if not (cursor := page.next_cursor):
                return

    async def export_results(
        self,
        task_id: Id,
        destination: str | Path,
        *,
        format: ExportFormat = "csv",
        progress: ProgressCallback | None = None,
    ) -> int:
        """Stream the whole export to a file; returns its size. `progress(received, total)`
        (total 0 when the server does not say)."""
        return await self._save(
            calls.export_path(task_id), {"format": format}, destination, progress
        )

    async def download_dataset(
        self, dataset_id: Id, destination: str | Path, *, progress: ProgressCallback | None = None
    ) -> int:
        """Stream a dataset's stored file (UTF-8) to `destination`; returns its size."""
        return await self._save(calls.download_path(dataset_id), None, destination, progress)

    async def _save(
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
            async with self._stream(path, params=params) as response:
                total = int(response.headers.get("content-length", 0))
                received = 0
                with part.open("wb") as out:
                    async for chunk in response.aiter_bytes():
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

    async def watch(self, task_id: Id) -> AsyncIterator[TaskEvent]:
        """The task's events as they happen, until it finishes (the last event carries the
        finished task). A dropped stream is followed again."""
        quiet = 0  # streams in a row that ended with nothing new
        while True:
            received = False
            try:
                async with self._stream(
                    calls.events_path(task_id), timeouts=events_timeout(self.timeout)
                ) as response:
                    async for sse in EventSource(response).aiter_sse():
                        if (event := task_event(sse)) is None:
                            continue
                        received = True
                        yield event
                        if event.task is not None and event.task.finished:
                            return
            except (httpx.TransportError, TransportError):
                pass
            task = await self.get_task(task_id)
            if task.finished:
                yield TaskEvent(event="task", task=task)
                return
            quiet = 0 if received else quiet + 1
            if quiet > RECONNECTS:
                raise TransportError(f"The event stream of task {task_id} keeps ending.")
            await asyncio.sleep(RECONNECT_PAUSE * quiet)

    async def wait(self, task_id: Id) -> Task:
        """Block until the task finishes (ready, error or cancelled) and return it."""
        last: Task | None = None
        async for event in self.watch(task_id):
            if event.task is not None:
                last = event.task
        assert last is not None and last.finished
        return last

    async def evaluate(
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
        task = await self.send(call)
        return await self.wait(task.id)

    async def analyse(self, text: str, *, model: str = "sentiment") -> Task:
        """Submit one text as a single task and wait for its label and scores."""
        task = await self.submit_single(model, {"text": text})
        return await self.wait(task.id)
