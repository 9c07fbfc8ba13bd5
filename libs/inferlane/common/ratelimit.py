"""Per-key token buckets: `rate` requests per second on average, bursts up to `burst`.

In-process: each replica limits on its own, so a user's ceiling is replicas x rate. Fine for
shielding a service from one busy client; a global quota would need shared state.
"""

import time
from collections.abc import Callable

from inferlane.common.errors import TooMany

MAX_KEYS = 100_000  # idle buckets are full buckets; forgetting them changes nothing


class KeyedRateLimiter:
    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str, what: str = "requests") -> None:
        """Spend one token or raise TooMany with the seconds until one is back."""
        now = self._clock()
        tokens, at = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise TooMany(f"too many {what}; slow down", retry_after=(1.0 - tokens) / self._rate)
        if len(self._buckets) >= MAX_KEYS and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens - 1.0, now)
