"""The rules of datasets: upload, validation, metadata, rows, downloads, share links.

No gRPC here: the servicer (and later workers) call it with the caller's user id. Every
lookup is scoped to that owner, so another user's dataset is simply not found.
"""

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import Clock, utc_now
from inferlane.common.dataset_preview import PREVIEW_ROWS
from inferlane.common.errors import NotFound
from inferlane.common.outbox import enqueue
from inferlane.common.pagination import Page, page
from inferlane.common.threads import iterate_in_thread
from inferlane.events.v1 import events_pb2
from services.datasets import leases, repository, rules
from services.datasets.blobstore import BlobStore
from services.datasets.domain import Dataset, Share
from services.datasets.formats import DEFAULT_LIMITS, Format, Limits, RowIndex, iter_rows, profile
from services.datasets.names import display_name
from services.datasets.tables import outbox
from services.datasets.transcode import ensure_utf8
from services.datasets.upload import receive

DATASET_CREATED = "datasets.dataset.created"
DATASET_DELETED = "datasets.dataset.deleted"


class DatasetsService:
    def __init__(
        self,
        engine: AsyncEngine,
        store: BlobStore,
        *,
        max_upload_bytes: int,
        limits: Limits = DEFAULT_LIMITS,
        clock: Clock = utc_now,
        on_event: Callable[[], None] = lambda: None,
        ttl: timedelta | None = None,
    ) -> None:
        self._ttl = ttl  # None: datasets are kept until deleted
        self._engine = engine
        self._store = store
        self._max_upload_bytes = max_upload_bytes
        self._limits = limits
        self._clock = clock
        self._on_event = on_event

    async def upload(
        self, owner_id: uuid.UUID, filename: str, chunks: AsyncIterator[bytes]
    ) -> Dataset:
        """Bytes first (validated, then durable), metadata second: a crash at any point leaves
        either nothing or a complete dataset."""
        stored = await receive(chunks, self._store, self._max_upload_bytes)
        try:
            stored, source_encoding = await asyncio.to_thread(ensure_utf8, stored, self._store)
            found = await asyncio.to_thread(
                profile, stored.writer.path, preview_rows=PREVIEW_ROWS, limits=self._limits
            )
        except BaseException:
            stored.writer.abort()
            raise
        key = await asyncio.to_thread(stored.writer.commit)
        values = {
            "id": uuid.uuid4(),
            "owner_id": owner_id,
            "name": display_name(filename),
            "format": str(found.format),
            "size_bytes": stored.size_bytes,
            "sha256": stored.sha256,
            "rows": found.rows,
            "columns": [{"name": c.name, "type": str(c.type)} for c in found.columns],
            "text_column": found.text_column,
            "preview": _jsonable(found.preview),
            "blob_key": key,
            "row_offsets": found.row_index.to_json() if found.row_index is not None else None,
            "expires_at": self._clock() + self._ttl if self._ttl else None,
            "source_encoding": source_encoding,
        }
        try:
            async with self._engine.begin() as conn:
                dataset = await repository.insert_dataset(conn, values)
                await enqueue(
                    conn, outbox, DATASET_CREATED, _created_event(dataset).SerializeToString()
                )
        except BaseException:
            self._store.delete(key)  # metadata never landed: the bytes must not linger
            raise
        self._on_event()
        return dataset

    async def get(self, owner_id: uuid.UUID, dataset_id: str) -> Dataset:
        async with self._engine.connect() as conn:
            dataset = await repository.get_owned(conn, owner_id, _uuid(dataset_id))
        if dataset is None:
            raise NotFound("no such dataset")
        return dataset

    async def list_owned(
        self, owner_id: uuid.UUID, page_size: int, page_token: str
    ) -> Page[Dataset]:
        async with self._engine.connect() as conn:
            return await page(
                lambda n, after: repository.list_owned(conn, owner_id, n, after),
                page_size,
                page_token,
            )

    async def rows(
        self, owner_id: uuid.UUID, dataset_id: str, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        """A page of whole rows for previews; from the stored preview when it covers it."""
        limit = rules.preview_page_size(offset, limit)
        dataset = await self.get(owner_id, dataset_id)
        if rules.in_stored_preview(offset, limit, len(dataset.preview), dataset.rows):
            return dataset.preview[offset : offset + limit]
        page: list[dict[str, Any]] = []
        async for _index, record in self.read_rows(owner_id, dataset_id, None, offset, limit):
            page.append(record)
        return page

    async def read_rows(
        self,
        owner_id: uuid.UUID,
        dataset_id: str,
        column: str | None,
        start: int,
        limit: int | None,
    ) -> AsyncIterator[tuple[int, Any]]:
        """Rows in order from `start`, each as (row_index, record or the column's value)."""
        rules.check_row_range(start, limit)
        async with self._engine.connect() as conn:
            dataset = await repository.get_owned(conn, owner_id, _uuid(dataset_id))
            if dataset is None:
                raise NotFound("no such dataset")
            stored_index = await repository.row_index_near(conn, owner_id, dataset.id, start)
        rules.check_column(column, dataset.column_names)
        path = self._store.path(dataset.blob_key)
        end = dataset.rows if limit is None else min(dataset.rows, start + limit)
        if start >= end:
            return
        fmt = Format(dataset.format)
        row_index = RowIndex.from_json(stored_index) if stored_index is not None else None
        async for batch in iterate_in_thread(
            lambda: iter_rows(path, fmt, start=start, index=row_index, limits=self._limits)
        ):
            for index, record in batch:
                if index >= end:
                    return
                yield index, (record.get(column) if column is not None else _jsonable(record))

    async def download(self, owner_id: uuid.UUID, dataset_id: str) -> AsyncIterator[bytes]:
        dataset = await self.get(owner_id, dataset_id)
        async for batch in iterate_in_thread(
            lambda: self._store.read(dataset.blob_key, 64 * 1024), 4
        ):
            for chunk in batch:
                yield chunk

    async def delete(self, owner_id: uuid.UUID, dataset_id: str) -> None:
        key = _uuid(dataset_id)
        async with self._engine.begin() as conn:
            if await repository.get_owned(conn, owner_id, key) is None:
                raise NotFound("no such dataset")  # before the lease check: no existence leak
            rules.check_deletable(await leases.is_leased(conn, key))
            dataset = await repository.delete_owned(conn, owner_id, key)
            if dataset is None:
                raise NotFound("no such dataset")
            await enqueue_deleted(conn, dataset, self._clock())
        self._store.delete(
            dataset.blob_key
        )  # after the commit: a crash leaves an orphan, not a hole
        self._on_event()

    async def create_share(self, owner_id: uuid.UUID, dataset_id: str, expires_in: int) -> Share:
        lifetime = rules.share_lifetime(expires_in)
        dataset = await self.get(owner_id, dataset_id)
        token = secrets.token_urlsafe(32)
        share = Share(uuid.uuid4(), dataset.id, token, self._clock() + lifetime)
        async with self._engine.begin() as conn:
            await repository.insert_share(conn, share.id, dataset, _sha256(token), share.expires_at)
        return share

    async def revoke_share(self, owner_id: uuid.UUID, dataset_id: str, share_id: str) -> None:
        async with self._engine.begin() as conn:
            revoked = await repository.revoke_share(
                conn, owner_id, _uuid(dataset_id), _uuid(share_id), self._clock()
            )
        if not revoked:
            raise NotFound("no such share")

    async def list_shares(self, owner_id: uuid.UUID, dataset_id: str) -> list[Share]:
        """The working links of an owned dataset (their tokens are unknown: stored hashed)."""
        dataset = await self.get(owner_id, dataset_id)
        async with self._engine.connect() as conn:
            rows = await repository.working_shares(conn, owner_id, dataset.id, self._clock())
        return [Share(row.id, dataset.id, "", row.expires_at) for row in rows]

    async def download_shared(self, token: str) -> AsyncIterator[bytes]:
        """The file behind a working share link (the same checks as `shared`)."""
        blob_key = (await self._working_share(token))[0].blob_key
        async for batch in iterate_in_thread(lambda: self._store.read(blob_key, 64 * 1024), 4):
            for chunk in batch:
                yield chunk

    async def shared(self, token: str) -> tuple[Dataset, Any]:
        """A dataset by share token, without sign-in: unknown → 404; expired or revoked → 410."""
        dataset, expires_at = await self._working_share(token)
        return replace(dataset, blob_key=""), expires_at

    async def _working_share(self, token: str) -> tuple[Dataset, Any]:
        async with self._engine.connect() as conn:
            found = await repository.find_share(conn, _sha256(token))
        if found is None:
            raise NotFound("no such share link")
        share, dataset = found
        rules.check_share_works(share.revoked_at, share.share_expires_at, self._clock())
        return dataset, share.share_expires_at


def _created_event(dataset: Dataset) -> events_pb2.DatasetCreated:
    event = events_pb2.DatasetCreated(
        event_id=str(uuid.uuid4()),
        owner_id=str(dataset.owner_id),
        dataset_id=str(dataset.id),
        name=dataset.name,
        size_bytes=dataset.size_bytes,
        sha256=dataset.sha256,
        rows=dataset.rows,
    )
    event.occurred_at.FromDatetime(dataset.created_at)
    return event


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("no such dataset") from None


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    """Decimals and other non-JSON scalars from parsers become floats or strings."""
    if isinstance(value, dict):
        # A flat row of JSON scalars (every CSV row) is returned as it is: 1.0 instead of
        # 4.4 µs for ten columns, on the path every row of every batch task takes.
        if all(type(v) in _JSON_SCALARS for v in value.values()):
            return value
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


async def enqueue_deleted(conn: Any, dataset: Dataset, now: datetime) -> None:
    """The dataset-deleted event, in the transaction that deleted it."""
    event = events_pb2.DatasetDeleted(
        event_id=str(uuid.uuid4()), owner_id=str(dataset.owner_id), dataset_id=str(dataset.id)
    )
    event.occurred_at.FromDatetime(now)
    await enqueue(conn, outbox, DATASET_DELETED, event.SerializeToString())
