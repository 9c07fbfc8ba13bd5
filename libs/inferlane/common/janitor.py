"""A background janitor: sweep a bounded batch, again at once while batches come back full,
then pause; a failed sweep (the database away) is logged and tried again next round."""

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import ColumnElement, Select, select

from inferlane.common.clock import Clock, utc_now

log = structlog.get_logger(__name__)


class Janitor:
    """Subclasses give `sweep`: do one batch (due by `_clock`), return how many items it
    handled, and call `_mid_batch` with the batch's ids before committing it (tests crash
    there)."""

    def __init__(
        self,
        *,
        interval_seconds: float,
        batch: int,
        clock: Clock = utc_now,
        mid_batch: Callable[[list[uuid.UUID]], None] = lambda ids: None,
    ) -> None:
        self._interval = interval_seconds
        self._batch = batch
        self._clock = clock
        self._mid_batch = mid_batch
        self._closing = asyncio.Event()

    async def sweep(self) -> int:
        raise NotImplementedError

    def _due(
        self, key: ColumnElement[Any], due_at: ColumnElement[Any], now: datetime, *where: Any
    ) -> Select[Any]:
        """One batch of keys due by now, oldest first, locked so that two janitors (replicas)
        never take the same rows."""
        return (
            select(key)
            .where(due_at <= now, *where)
            .order_by(due_at)
            .limit(self._batch)
            .with_for_update(skip_locked=True)
        )

    async def run(self) -> None:
        while not self._closing.is_set():
            try:
                while await self.sweep() == self._batch:
                    pass  # a full batch: there may be more due now
            except Exception as exc:
                log.warning("sweep failed", janitor=type(self).__name__, error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self._interval)

    async def close(self) -> None:
        self._closing.set()
