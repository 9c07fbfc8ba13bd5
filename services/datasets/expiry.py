"""Opt-in dataset expiry (DATASETS_TTL_SECONDS): a janitor deletes datasets past expires_at.

One transaction per bounded batch: due datasets that no running task leases are locked
(FOR UPDATE SKIP LOCKED: replicas share the work), deleted with their dataset-deleted events,
committed; only then are their files removed, as a user's delete does (a crash in between
leaves an orphan file, never a dataset without its file). A janitor that dies before the
commit deletes nothing, and a deleted dataset cannot be taken twice.
"""

from typing import Any

import structlog
from sqlalchemy import delete, exists
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.janitor import Janitor
from services.datasets import repository
from services.datasets.blobstore import BlobStore
from services.datasets.service import enqueue_deleted
from services.datasets.tables import dataset_leases, datasets

log = structlog.get_logger(__name__)


class DatasetJanitor(Janitor):
    """Options as Janitor's; `mid_batch` runs after the deletes, before the commit."""

    def __init__(self, engine: AsyncEngine, store: BlobStore, **options: Any) -> None:
        super().__init__(**options)
        self._engine = engine
        self._store = store

    async def sweep(self) -> int:
        """Delete one batch of due, unleased datasets; returns how many."""
        now = self._clock()
        leased = exists().where(dataset_leases.c.dataset_id == datasets.c.id)
        due = self._due(datasets.c.id, datasets.c.expires_at, now, ~leased)
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
