"""Admission control for a call that does real work per request (a task's creation).

At most `limit` such calls run at once; the rest wait in line, first come first served, for
at most `max_wait` seconds and never past the caller's own deadline (less `margin`, the time
to answer in). One that cannot start in time is refused with `Overloaded` (503 and a
Retry-After at the edge) before any of its work is done; one that joins a line already
longer than it could get through in time, at the recent pace, is refused at once (so the
line, and what it holds, stays bounded). Without this, a burst of a thousand
creations queued on the database pool, and those past the gateway's deadline got a 504 while
their task could still be created after the caller had given up.

Retry-After is an appointment: after the line ahead should have drained, and one pace (the
time a slot takes per call, at the recent pace) after the previous refused caller's, so a
burst's refused callers come back spread at the rate calls get through, not all at once.
"""

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from prometheus_client import Counter

from inferlane.common.errors import Overloaded

REFUSED = Counter(
    "inferlane_admission_refused_total",
    "Calls refused because they could not start before their wait limit or deadline.",
    ["call"],
)

# Weight of the newest call in the running mean of how long a call takes.
_SMOOTHING = 0.1
MAX_RETRY_AFTER = 30.0


class Admission:
    def __init__(
        self,
        name: str,
        *,
        limit: int,
        max_wait: float,
        margin: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.name = name
        self._limit = limit
        self._max_wait = max_wait
        self._margin = margin
        self._clock = clock
        self._slots = asyncio.Semaphore(limit)  # fair (FIFO) since Python 3.11.1
        self._waiting = 0
        self._mean_seconds = 0.05  # a first guess; replaced by measurements within a few calls
        self._next_return = 0.0  # the latest appointment given to a refused caller

    @property
    def waiting(self) -> int:
        return self._waiting

    @asynccontextmanager
    async def admit(self, time_remaining: float | None = None) -> AsyncIterator[None]:
        """Run the block once a slot is free, or raise Overloaded. `time_remaining`: the
        caller's deadline in seconds from now (gRPC's `context.time_remaining()`), if any."""
        budget = self._max_wait
        if time_remaining is not None:
            budget = min(budget, time_remaining - self._margin)
        self._waiting += 1
        try:
            if not self._slots.locked():
                await self._slots.acquire()  # a free slot and nobody in line: no wait at all
            elif budget <= 0 or self._drain_seconds() > budget:
                # It would time out in line: answered at once, and the line stays bounded.
                raise TimeoutError
            else:
                await asyncio.wait_for(self._slots.acquire(), budget)
        except TimeoutError:
            REFUSED.labels(self.name).inc()
            raise Overloaded(
                f"the service is busy ({self._waiting} calls waiting); try again shortly",
                retry_after=self._appointment(),
            ) from None
        finally:
            self._waiting -= 1
        started = self._clock()
        try:
            yield
        finally:
            self._slots.release()
            took = self._clock() - started
            self._mean_seconds += _SMOOTHING * (took - self._mean_seconds)

    def _appointment(self) -> float:
        """Whole seconds (at least 1) until a refused caller should come back: after the line
        drains and one pace after the previous appointment."""
        now = self._clock()
        pace = self._mean_seconds / self._limit
        self._next_return = max(self._next_return, now + self._drain_seconds()) + pace
        return float(min(MAX_RETRY_AFTER, max(1, math.ceil(self._next_return - now))))

    def _drain_seconds(self) -> float:
        """How long the line should take to get through the slots, at the recent pace."""
        return self._waiting * self._mean_seconds / self._limit
