"""Sign-in throttle: too many failures per account or per client address lock it for a while.

Kept in PostgreSQL so every auth replica sees the same counts and a restart forgets nothing.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.errors import TooMany
from services.auth.tables import login_throttle as t


@dataclass(frozen=True)
class Limits:
    max_failures: int
    window: timedelta
    lockout: timedelta


class LoginThrottle:
    def __init__(self, per_account: Limits, per_address: Limits) -> None:
        self._limits = {"email": per_account, "address": per_address}

    @staticmethod
    def keys(email: str, address: str) -> dict[str, str]:
        keys = {"email": f"email:{email}"}
        if address:
            keys["address"] = f"address:{address}"
        return keys

    async def check(self, conn: AsyncConnection, keys: dict[str, str], now: datetime) -> None:
        """Refuse before the password is even looked at while any key is locked."""
        rows = await conn.execute(select(t.c.locked_until).where(t.c.key.in_(keys.values())))
        until = max(
            (r.locked_until for r in rows if r.locked_until and r.locked_until > now), default=None
        )
        if until is not None:
            raise TooMany(
                "too many failed sign-ins; try again later",
                retry_after=(until - now).total_seconds(),
            )

    async def failed(self, conn: AsyncConnection, keys: dict[str, str], now: datetime) -> None:
        """Count a failure under each key; reaching the limit locks that key for a while."""
        for kind, key in keys.items():
            limits = self._limits[kind]
            window_open = t.c.window_started_at > now - limits.window
            stmt = (
                insert(t)
                .values(key=key, failures=1, window_started_at=now)
                .on_conflict_do_update(
                    index_elements=[t.c.key],
                    set_={
                        "failures": case((window_open, t.c.failures + 1), else_=1),
                        "window_started_at": case((window_open, t.c.window_started_at), else_=now),
                    },
                )
                .returning(t.c.failures)
            )
            if (await conn.execute(stmt)).scalar_one() >= limits.max_failures:
                lock = update(t).where(t.c.key == key)
                await conn.execute(
                    lock.values(
                        locked_until=now + limits.lockout, failures=0, window_started_at=now
                    )
                )

    async def succeeded(self, conn: AsyncConnection, keys: dict[str, str]) -> None:
        """A good password clears the account's count; an address keeps its own."""
        await conn.execute(delete(t).where(t.c.key == keys["email"]))
