"""The task-creation rate limit, one token bucket per user in PostgreSQL, so that it holds
across tasks replicas (an in-process bucket per replica gave a user N times the rate)."""

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import Clock, utc_now
from inferlane.common.db import autocommit
from inferlane.common.errors import TooMany
from inferlane.common.ratelimit import spend
from services.tasks.tables import rate_buckets as t

# `spend`'s rule in SQL: refill for the time elapsed (none when replicas' clocks differ and
# it is negative), capped at the burst, then spend one token, only where one is there.
# Plain SQL because SQLAlchemy compiles a PostgreSQL ON CONFLICT statement anew on every
# execution (it has no cache key): this runs on every task creation.
_REFILLED = (
    "least(:burst, b.tokens"
    " + greatest(0.0, extract(epoch FROM excluded.at - b.at)::float8) * :rate)"
)
_SPEND = text(
    f"""
    INSERT INTO {t.fullname} AS b (key, tokens, at) VALUES (:key, :burst - 1.0, :now)
    ON CONFLICT (key) DO UPDATE
        SET tokens = {_REFILLED} - 1.0, at = greatest(excluded.at, b.at)
        WHERE {_REFILLED} >= 1.0
    RETURNING key
    """  # noqa: S608 (only our own table's name and the constant above go in)
)


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
        spent = {"key": key, "burst": self._burst, "rate": self._rate, "now": now}
        async with self._engine.connect() as conn:
            if (await conn.execute(_SPEND, spent)).first() is not None:
                return
            row = (await conn.execute(select(t.c.tokens, t.c.at).where(t.c.key == key))).one()
        _, wait = spend(row.tokens, (now - row.at).total_seconds(), self._rate, self._burst)
        # None: a token came back since the upsert; this call was still refused.
        raise TooMany(f"too many {what}; slow down", retry_after=wait or 1.0 / self._rate)
