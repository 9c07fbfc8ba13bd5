"""A circuit breaker for the one dependency that can vanish: Triton.

After `threshold` consecutive failures it opens and calls fail at once (no queue of doomed
requests behind a dead server); after `reset_seconds` one trial call is let through, and
its success closes the circuit again.
"""

import time
from collections.abc import Callable


class CircuitOpen(Exception):
    pass


class CircuitBreaker:
    def __init__(
        self, threshold: int, reset_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = threshold
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if self._clock() - self._opened_at >= self._reset_seconds else "open"

    def before_call(self) -> None:
        state = self.state
        if state == "open" or (state == "half_open" and self._trial_in_flight):
            raise CircuitOpen("Triton is unavailable; failing fast")
        if state == "half_open":
            self._trial_in_flight = True

    def succeeded(self) -> None:
        self._failures, self._opened_at, self._trial_in_flight = 0, None, False

    def released(self) -> None:
        """A call ended with no verdict on the server's health (e.g. it was only slow)."""
        self._trial_in_flight = False

    def failed(self) -> None:
        self._trial_in_flight = False
        self._failures += 1
        if self._failures >= self._threshold or self._opened_at is not None:
            self._opened_at = self._clock()
