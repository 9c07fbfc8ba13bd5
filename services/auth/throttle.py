"""Sign-in throttle: too many failures per account *and* client address, or per address, lock
that key for a while, each lockout of a key twice as long as its last (up to a cap).

An attacker guessing from one address is slowed down; the owner signing in from another
address is not refused, since no key of theirs was touched (a per-account lock would let
anyone lock any account out). Guesses spread over many addresses meet the per-address limits
and argon2's cost on each.

Every attempt is counted *before* its password is checked, in one atomic upsert per key, and
taken back only when the password was right. Counting after the check would let parallel
guesses all pass the gate while the slow argon2 verifications run.

Kept in PostgreSQL so every auth replica sees the same counts and a restart forgets nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.auth.tables import login_throttle as t

# The longest lockout backoff reaches: base * 2**6 (5 min -> 5 h 20 min by default).
MAX_DOUBLINGS = 6


@dataclass(frozen=True)
class Limits:
    max_failures: int
    window: timedelta
    lockout: timedelta  # the first; each further lockout of the same key doubles it


class LoginThrottle:
    def __init__(self, per_account: Limits, per_address: Limits) -> None:
        self._limits = {"account": per_account, "address": per_address}

    @staticmethod
    def keys(email: str, address: str) -> dict[str, str]:
        """Callers that pass no address (internal ones) share one key per account."""
        keys = {"account": f"account:{email}|{address}"}
        if address:
            keys["address"] = f"address:{address}"
        return keys

    async def attempt(
        self, conn: AsyncConnection, keys: dict[str, str], now: datetime
    ) -> float | None:
        """Count one attempt under each key before its password is checked. Returns the
        seconds to wait when a key is locked or has no attempt left; the caller commits, then
        refuses. Parallel attempts each get their own number, so at most `max_failures` of
        them reach the password check."""
        wait: float | None = None
        for kind, key in keys.items():
            limits = self._limits[kind]
            locked = t.c.locked_until > now
            window_open = t.c.window_started_at > now - limits.window
            stmt = (
                insert(t)
                .values(key=key, failures=1, window_started_at=now)
                .on_conflict_do_update(
                    index_elements=[t.c.key],
                    set_={
                        # A locked key counts no further attempts, so its lockout ends on time.
                        "failures": case(
                            (locked, t.c.failures), (window_open, t.c.failures + 1), else_=1
                        ),
                        "window_started_at": case(
                            (locked | window_open, t.c.window_started_at), else_=now
                        ),
                    },
                )
                .returning(t.c.failures, t.c.locked_until)
            )
            failures, locked_until = (await conn.execute(stmt)).one()
            if locked_until is not None and locked_until > now:
                wait = max(wait or 0.0, (locked_until - now).total_seconds())
            elif failures > limits.max_failures:  # the limit's worth of attempts is in flight
                wait = max(wait or 0.0, await self._lock(conn, key, limits, now))
        return wait

    async def failed(self, conn: AsyncConnection, keys: dict[str, str], now: datetime) -> None:
        """A wrong password keeps its attempt counted; the one that reaches the limit locks."""
        for kind, key in keys.items():
            limits = self._limits[kind]
            reached = (t.c.key == key) & (t.c.failures >= limits.max_failures)
            unlocked = t.c.locked_until.is_(None) | (t.c.locked_until <= now)
            stmt = update(t).where(reached, unlocked).values(**self._lock_values(limits, now))
            await conn.execute(stmt)

    async def _lock(self, conn: AsyncConnection, key: str, limits: Limits, now: datetime) -> float:
        stmt = update(t).where(t.c.key == key).values(**self._lock_values(limits, now))
        locked_until = (await conn.execute(stmt.returning(t.c.locked_until))).scalar_one()
        return float((locked_until - now).total_seconds())

    @staticmethod
    def _lock_values(limits: Limits, now: datetime) -> dict[str, object]:
        # In SQL, from the row's own count, so that concurrent lockers agree.
        doublings = func.least(t.c.lockouts, MAX_DOUBLINGS)
        until = now + limits.lockout * func.power(2, doublings)
        return {
            "locked_until": until,
            "failures": 0,
            "window_started_at": until,
            "lockouts": t.c.lockouts + 1,
        }

    async def succeeded(self, conn: AsyncConnection, keys: dict[str, str]) -> None:
        """A right password clears its account key (backoff too) and takes back its address's
        attempt."""
        await conn.execute(delete(t).where(t.c.key == keys["account"]))
        if "address" in keys:
            stmt = update(t).where(t.c.key == keys["address"], t.c.failures > 0)
            await conn.execute(stmt.values(failures=t.c.failures - 1))
