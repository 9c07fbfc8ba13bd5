"""Token buckets: `rate` requests per second on average, bursts up to `burst`.

`spend` is the bucket's rule, wherever the bucket is kept. `KeyedRateLimiter` keeps buckets
in process: each replica limits on its own, so a user's ceiling is replicas x rate. A limit
that must hold across replicas keeps them in the database instead (services/tasks/rate.py).
"""

import time
from collections.abc import Callable

from inferlane.common.errors import TooMany

MAX_KEYS = 100_000  # idle buckets are full buckets; forgetting them changes nothing


def spend(tokens: float, elapsed: float, rate: float, burst: float) -> tuple[float, float | None]:
    """Refill a bucket holding `tokens` for `elapsed` seconds, then spend one token.
    Returns (tokens now, None), or (tokens now, seconds until one is back) when none was."""
    tokens = min(burst, tokens + max(0.0, elapsed) * rate)
    if tokens < 1.0:
        return tokens, (1.0 - tokens) / rate
    return tokens - 1.0, None


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
        tokens, wait = spend(tokens, now - at, self._rate, self._burst)
        if len(self._buckets) >= MAX_KEYS and key not in self._buckets:
            self._buckets.clear()
        self._buckets[key] = (tokens, now)
        if wait is not None:
            raise TooMany(f"too many {what}; slow down", retry_after=wait)
