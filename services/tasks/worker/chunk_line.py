"""The line batch chunks wait in for one of the worker's few batch slots: lowest chunk index
first, then first come.

A worker holds many work messages at once. Granted in the order their tasks' database reads
happened to finish, a task's chunks ran shuffled (chunk 7 before chunk 0), so its small first
chunks, there to show progress early, often finished after a full one. By index, a task's
chunks run in order, and tasks side by side take turns chunk by chunk: a new task's first
chunks do not wait behind an old task's tail. A chunk takes its place before it reads its
task, from what its work message says.
"""

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ChunkLine:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("need at least one slot")
        self.free = slots
        # (chunk index, arrival, granted): a heap, so the lowest index is served first.
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @asynccontextmanager
    async def turn(self, chunk_index: int) -> AsyncIterator[None]:
        """Hold a slot for the block, once no chunk ahead in the line is waiting for one."""
        if self.free > 0 and not self._waiting:
            self.free -= 1
        else:
            granted = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (chunk_index, next(self._arrivals), granted))
            try:
                await granted
            except asyncio.CancelledError:
                if not granted.cancelled():
                    self._release()  # granted just as it was cancelled: pass it on
                raise  # a cancelled future stays in the heap; _release skips it
        try:
            yield
        finally:
            self._release()

    @property
    def waiting(self) -> int:
        return sum(1 for *_, granted in self._waiting if not granted.done())

    def _release(self) -> None:
        while self._waiting:
            *_, granted = heapq.heappop(self._waiting)
            if not granted.done():
                granted.set_result(None)
                return
        self.free += 1
