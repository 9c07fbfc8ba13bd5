"""The task-creation rate limit, one token bucket per user in PostgreSQL, so that it holds
across tasks replicas (an in-process bucket per replica gave a user N times the rate)."""

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import Clock, utc_now
from inferlane.common.errors import TooMany
from inferlane.common.ratelimit import spend
from services.tasks.tables import rate_buckets as t


class SharedRateLimiter:
    def __init__(
        self, engine: AsyncEngine, rate: float, burst: int, clock: Clock = utc_now
    ) -> None:
        self._engine = engine
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock

    async def take(self, key: str, what: str = "requests") -> None:
        """Spend one of `key`'s tokens or raise TooMany with the seconds until one is back.
        The row is locked while it is read and written: concurrent takes queue, none is lost."""
        now = self._clock()
        async with self._engine.begin() as conn:
            fresh = insert(t).values(key=key, tokens=self._burst, at=now)
            await conn.execute(fresh.on_conflict_do_nothing(index_elements=[t.c.key]))
            row = (
                await conn.execute(
                    select(t.c.tokens, t.c.at).where(t.c.key == key).with_for_update()
                )
            ).one()
            elapsed = (now - row.at).total_seconds()  # negative when replicas' clocks differ
            tokens, wait = spend(row.tokens, elapsed, self._rate, self._burst)
            await conn.execute(
                update(t).where(t.c.key == key).values(tokens=tokens, at=max(now, row.at))
            )
        if wait is not None:
            raise TooMany(f"too many {what}; slow down", retry_after=wait)
