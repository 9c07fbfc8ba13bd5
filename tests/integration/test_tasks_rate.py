"""The shared task-creation bucket in PostgreSQL: one upsert spends a token, a refused take
says how long until one is back, and the bucket refills with time (a movable clock)."""

import asyncio
import uuid

import pytest

from inferlane.common.db import make_engine
from inferlane.common.errors import TooMany
from services.tasks.rate import SharedRateLimiter
from tests.support.accounts import MovableClock


async def test_a_bucket_spends_its_burst_refuses_then_refills(migrated_db: str) -> None:
    engine = make_engine(migrated_db)
    clock = MovableClock()
    limiter = SharedRateLimiter(engine, rate=0.5, burst=2, clock=clock)
    key = f"user-{uuid.uuid4()}"
    try:
        await limiter.take(key)
        await limiter.take(key)
        with pytest.raises(TooMany) as refused:
            await limiter.take(key)
        assert refused.value.retry_after == pytest.approx(2.0)  # one token at 0.5 per second
        clock.advance(seconds=1)
        with pytest.raises(TooMany) as still:
            await limiter.take(key)
        assert still.value.retry_after == pytest.approx(1.0)  # half a token back: a refusal
        clock.advance(seconds=1)  # kept nothing back, so the second half still counts
        await limiter.take(key)
        clock.advance(seconds=3600)  # refilled up to the burst, not past it
        await limiter.take(key)
        await limiter.take(key)
        with pytest.raises(TooMany):
            await limiter.take(key)
    finally:
        await engine.dispose()


async def test_concurrent_takes_lose_no_token(migrated_db: str) -> None:
    engine = make_engine(migrated_db)
    limiter = SharedRateLimiter(engine, rate=0.001, burst=5, clock=MovableClock())
    key = f"user-{uuid.uuid4()}"

    async def take() -> bool:
        try:
            await limiter.take(key)
        except TooMany:
            return False
        return True

    try:
        taken = await asyncio.gather(*(take() for _ in range(12)))
    finally:
        await engine.dispose()
    assert sum(taken) == 5
