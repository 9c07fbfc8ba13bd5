"""Async SQLAlchemy over psycopg 3: engines, sessions and a readiness probe."""

from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def psycopg_url(url: str) -> URL:
    """Accept plain ``postgresql://`` URLs (what people paste) and select the psycopg driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(
        psycopg_url(url),
        pool_size=pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 3},
    )


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same pool with each statement its own transaction: for a read, or a write that is
    one statement, psycopg then sends no BEGIN and no COMMIT/ROLLBACK (two round trips less);
    under READ COMMITTED each statement has its own snapshot anyway."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def readiness_check(engine: AsyncEngine) -> Callable[[], Awaitable[bool]]:
    """A health check that answers True while PostgreSQL runs queries."""

    async def check() -> bool:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True

    return check
