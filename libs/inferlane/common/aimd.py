"""Rows in flight to a model, adapted to how fast it answers: additive increase,
multiplicative decrease (AIMD, as TCP does with its window).

A call that answers within `target_seconds` widens the window by about `step` rows per
window's worth of calls; one that answers late, or is refused as busy, halves it (once per
round trip: calls that started before the last cut say nothing new), down to `floor`.
Callers size their calls to the window (`call_rows`), so on a slow enough model one small
call is all that is in flight and it still answers inside its deadline: work always moves.
With the window sized to what the model serves in `target_seconds`, a call's wait in the
model's queue stays inside its deadline.

A window that starts below its ceiling (`initial`) first grows as TCP's slow start does: each
row answered on time adds one, so the window doubles every round trip until the first late
answer. A model a thousand times cheaper than another then gets a window to match within a
few calls, instead of the one size that suits the slow model.
"""

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from inferlane.common.capacity import Capacity


class AdaptiveLimit:
    def __init__(
        self,
        *,
        floor: int,
        ceiling: int,
        target_seconds: float,
        initial: int | None = None,
        step: int | None = None,
        busy: Callable[[BaseException], bool] = lambda _exc: False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        start = ceiling if initial is None else initial
        if not 1 <= floor <= start <= ceiling:
            raise ValueError("need 1 <= floor <= initial <= ceiling")
        self.floor, self.ceiling = floor, ceiling
        self._step = step or floor
        self._target = target_seconds
        self._busy = busy
        self._clock = clock
        self._window = float(start)
        self._slow_start = start < ceiling  # until the first late answer
        self._last_cut = float("-inf")
        self.capacity = Capacity(start)

    @property
    def window(self) -> int:
        return self.capacity.total

    def call_rows(self, preferred: int, most: int | None = None, calls: int = 1) -> int:
        """Rows for the next call: `preferred`, or fewer while the window is smaller; or more,
        up to `most`, while `calls` calls of `preferred` rows would leave the window unfilled
        (each call costs the same overhead whatever its rows, so a fast model's calls grow)."""
        most = preferred if most is None else most
        return max(1, min(self.window, most, max(preferred, self.window // calls)))

    @asynccontextmanager
    async def hold(self, units: int) -> AsyncIterator[None]:
        async with self.capacity.hold(units):
            started = self._clock()
            try:
                yield
            except BaseException as exc:
                if self._busy(exc):
                    self._cut(started)
                raise
            if self._clock() - started > self._target:
                self._cut(started)
            else:
                self._grow(units)

    def _cut(self, started: float) -> None:
        if started < self._last_cut:
            return  # it was already in flight when the window was cut for the same queue
        self._last_cut = self._clock()
        self._slow_start = False
        self._set(max(self.floor, self._window / 2))

    def _grow(self, units: int) -> None:
        more = units if self._slow_start else self._step * units / self._window
        self._set(min(self.ceiling, self._window + more))

    def _set(self, window: float) -> None:
        self._window = window
        if round(window) != self.capacity.total:
            self.capacity.resize(round(window))
