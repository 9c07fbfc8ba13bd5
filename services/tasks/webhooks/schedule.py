"""When a failed delivery is tried again: exponential backoff, capped, for a bounded time."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Schedule:
    first_retry_s: float = 5.0
    max_retry_s: float = 3600.0
    give_up_s: float = 86400.0
    disable_after: int = 5  # deliveries failed in a row (each after all its retries)

    def next_attempt(self, created_at: datetime, attempts: int, now: datetime) -> datetime | None:
        """After `attempts` failed tries, when to try again; None once past the give-up time."""
        delay = min(self.first_retry_s * 2 ** (attempts - 1), self.max_retry_s)
        at = now + timedelta(seconds=delay)
        return at if at <= created_at + timedelta(seconds=self.give_up_s) else None
