"""The task-creation rate limit, one token bucket per user in PostgreSQL, so that it holds
across tasks replicas (an in-process bucket per replica gave a user N times the rate)."""

from sqlalchemy import Float, cast, extract, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import Clock, utc_now
from inferlane.common.db import autocommit
from inferlane.common.errors import TooMany
from inferlane.common.ratelimit import spend
from services.tasks.tables import rate_buckets as t


class SharedRateLimiter:
    def __init__(
        self, engine: AsyncEngine, rate: float, burst: int, clock: Clock = utc_now
    ) -> None:
        self._engine = autocommit(engine)  # the spending upsert is one statement
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock

    async def take(self, key: str, what: str = "requests") -> None:
        """Spend one of `key`'s tokens or raise TooMany with the seconds until one is back.

        One statement when a token is there: the upsert refills and spends under the row's
        lock (concurrent takes queue, none is lost), by `spend`'s rule written in SQL. A
        bucket without a token is left as it was, which is the same bucket (a refill below
        one token is never capped, so refilling later gives the same count); only then is it
        read, to say how long to wait."""
        now = self._clock()
        fresh = insert(t).values(key=key, tokens=self._burst - 1.0, at=now)
        # Negative when replicas' clocks differ: no refill then, as in `spend`.
        elapsed = func.greatest(0.0, cast(extract("epoch", fresh.excluded.at - t.c.at), Float))
        refilled = func.least(self._burst, t.c.tokens + elapsed * self._rate)
        spent = fresh.on_conflict_do_update(
            index_elements=[t.c.key],
            set_={"tokens": refilled - 1.0, "at": func.greatest(fresh.excluded.at, t.c.at)},
            where=refilled >= 1.0,
        ).returning(t.c.key)
        async with self._engine.connect() as conn:
            if (await conn.execute(spent)).first() is not None:
                return
            row = (await conn.execute(select(t.c.tokens, t.c.at).where(t.c.key == key))).one()
        _, wait = spend(row.tokens, (now - row.at).total_seconds(), self._rate, self._burst)
        # None: a token came back since the upsert; this call was still refused.
        raise TooMany(f"too many {what}; slow down", retry_after=wait or 1.0 / self._rate)
