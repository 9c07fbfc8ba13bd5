"""How fast a running task goes and when it should be done.

The rate is rows done since the task started running, over the time since then: progress is
counted exactly once in the database, so this needs no state between events and every
follower computes the same answer. No rate before the first row is done (nothing to go on).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.tasks.domain import Progress


@dataclass(frozen=True)
class Estimate:
    rows_per_second: float
    completion: datetime


def estimate(progress: Progress, started_at: datetime | None, now: datetime) -> Estimate | None:
    """The rate and the completion time of a running task, or None while there is no rate."""
    if started_at is None or progress.done <= 0:
        return None
    elapsed = (now - started_at).total_seconds()
    if elapsed <= 0:
        return None
    rate = progress.done / elapsed
    remaining = max(progress.total - progress.done, 0)
    return Estimate(rows_per_second=rate, completion=now + timedelta(seconds=remaining / rate))
