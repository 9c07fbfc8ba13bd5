"""When a chunk whose dependency failed (busy, restarting, unreachable) tries again, and when
it stops trying: exponential backoff inside a budget of time, not a count of attempts, so a
slow model or a restart costs time, never the task. No I/O here."""

import time
from collections.abc import Callable


class RetryBudget:
    """One delivery's retries: `next_delay()` is the pause before the next try, or None once
    failures have lasted `budget_seconds` (the chunk then becomes a dead letter). Time spent
    paused for a dependency to become ready is not charged (`pause`)."""

    def __init__(
        self,
        budget_seconds: float,
        base_seconds: float,
        max_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._budget = budget_seconds
        self._base, self._max = base_seconds, max_seconds
        self._clock = clock
        self._first_failure: float | None = None
        self._paused = 0.0
        self.failures = 0

    def next_delay(self) -> float | None:
        now = self._clock()
        if self._first_failure is None:
            self._first_failure = now
        self.failures += 1
        spent = now - self._first_failure - self._paused
        if spent >= self._budget:
            return None
        delay = min(self._max, self._base * 2 ** (self.failures - 1))
        return min(delay, max(self._budget - spent, 0.0))

    def pause(self, seconds: float) -> None:
        """Seconds spent waiting for a dependency to become ready: not charged to the budget."""
        self._paused += seconds
