"""A weighted, first-come-first-served semaphore: callers hold `units` of a fixed capacity.

The worker bounds the rows it has in flight to the model with it, so a single task (one
row) and a batch call (64 rows) share one budget: many singles at once, few big calls.
First come, first served, so a big request is not starved by a stream of small ones.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Capacity:
    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError("capacity must be at least 1")
        self.total = total
        self.free = total
        self._waiting: deque[tuple[int, asyncio.Future[None]]] = deque()

    @asynccontextmanager
    async def hold(self, units: int) -> AsyncIterator[None]:
        """Hold `units` (at most the whole capacity) for the duration of the block."""
        units = max(1, min(units, self.total))
        await self._acquire(units)
        try:
            yield
        finally:
            self._release(units)

    def _fits(self, units: int) -> bool:
        # A holder larger than a capacity that shrank meanwhile goes when nothing else is held.
        return units <= self.free or self.free >= self.total

    async def _acquire(self, units: int) -> None:
        if not self._waiting and self._fits(units):
            self.free -= units
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (units, granted)
        self._waiting.append(entry)
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._release(units)  # granted just as it was cancelled: give it back
            else:
                self._waiting.remove(entry)
                self._grant()  # it may have been the head that blocked smaller ones
            raise

    def resize(self, total: int) -> None:
        """A new capacity; holders above it keep what they hold, and newcomers wait until
        enough of it is given back."""
        total = max(1, total)
        self.free += total - self.total
        self.total = total
        self._grant()

    def _release(self, units: int) -> None:
        self.free += units
        self._grant()

    def _grant(self) -> None:
        while self._waiting and self._fits(self._waiting[0][0]):
            units, granted = self._waiting.popleft()
            self.free -= units
            granted.set_result(None)
