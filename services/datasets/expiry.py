"""Opt-in dataset expiry (DATASETS_TTL_SECONDS): a janitor deletes datasets past expires_at.

One transaction per bounded batch: due datasets that no running task leases are locked
(FOR UPDATE SKIP LOCKED: replicas share the work), deleted with their dataset-deleted events,
committed; only then are their files removed, as a user's delete does (a crash in between
leaves an orphan file, never a dataset without its file). A janitor that dies before the
commit deletes nothing, and a deleted dataset cannot be taken twice.
"""

import asyncio
import contextlib
import uuid
from collections.abc import Callable

import structlog
from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import Clock, utc_now
from services.datasets import repository
from services.datasets.blobstore import BlobStore
from services.datasets.service import enqueue_deleted
from services.datasets.tables import dataset_leases, datasets

log = structlog.get_logger(__name__)


class DatasetJanitor:
    def __init__(
        self,
        engine: AsyncEngine,
        store: BlobStore,
        *,
        interval_seconds: float,
        batch: int,
        clock: Clock = utc_now,
        mid_batch: Callable[[list[uuid.UUID]], None] = lambda ids: None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._interval = interval_seconds
        self._batch = batch
        self._clock = clock
        self._mid_batch = mid_batch  # tests crash here, after the deletes, before the commit
        self._closing = asyncio.Event()

    async def run(self) -> None:
        while not self._closing.is_set():
            try:
                while await self.sweep() == self._batch:
                    pass  # a full batch: there may be more due now
            except Exception as exc:  # the database is away: try again next round
                log.warning("dataset expiry sweep failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self._interval)

    async def close(self) -> None:
        self._closing.set()

    async def sweep(self) -> int:
        """Delete one batch of due, unleased datasets; returns how many."""
        now = self._clock()
        leased = exists().where(dataset_leases.c.dataset_id == datasets.c.id)
        due = (
            select(datasets.c.id)
            .where(datasets.c.expires_at <= now, ~leased)
            .order_by(datasets.c.expires_at)
            .limit(self._batch)
            .with_for_update(skip_locked=True)
        )
        async with self._engine.begin() as conn:
            ids = list((await conn.execute(due)).scalars())
            if not ids:
                return 0
            gone = await conn.execute(
                delete(datasets).where(datasets.c.id.in_(ids)).returning(*repository.COLUMNS)
            )
            deleted = [repository.dataset_of(row) for row in gone]
            for dataset in deleted:
                await enqueue_deleted(conn, dataset, now)
            self._mid_batch(ids)
        for dataset in deleted:
            self._store.delete(dataset.blob_key)
        log.info("datasets expired", datasets=len(deleted))
        return len(deleted)
