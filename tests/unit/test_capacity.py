"""The worker's rows-in-flight budget: weighted, first come first served, cancel-safe."""

import asyncio

import pytest

from inferlane.common.capacity import Capacity


async def test_small_holders_share_the_capacity_and_a_big_one_waits_its_turn():
    capacity = Capacity(10)
    order: list[str] = []
    release = asyncio.Event()

    async def hold(name: str, units: int) -> None:
        async with capacity.hold(units):
            order.append(name)
            await release.wait()

    first = [asyncio.create_task(hold(f"s{i}", 3)) for i in range(3)]  # 9 of 10
    await asyncio.sleep(0)
    big = asyncio.create_task(hold("big", 8))
    await asyncio.sleep(0)
    late_small = asyncio.create_task(hold("late", 1))  # fits, but must queue behind "big"
    await asyncio.sleep(0)
    assert order == ["s0", "s1", "s2"] and capacity.free == 1
    release.set()
    await asyncio.gather(*first, big, late_small)
    assert order == ["s0", "s1", "s2", "big", "late"]
    assert capacity.free == 10


async def test_a_request_larger_than_the_capacity_takes_all_of_it():
    capacity = Capacity(4)
    async with capacity.hold(100):
        assert capacity.free == 0
    assert capacity.free == 4


async def test_a_cancelled_waiter_gives_way_and_leaks_nothing():
    capacity = Capacity(4)
    gate = asyncio.Event()

    async def hold(units: int) -> None:
        async with capacity.hold(units):
            await gate.wait()

    holder = asyncio.create_task(hold(3))
    await asyncio.sleep(0)
    blocked_big = asyncio.create_task(hold(4))
    await asyncio.sleep(0)
    small = asyncio.create_task(hold(1))  # queued behind the big one
    await asyncio.sleep(0)
    blocked_big.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked_big
    await asyncio.sleep(0)
    assert capacity.free == 0  # the small one got in once the big one left the queue
    gate.set()
    await asyncio.gather(holder, small)
    assert capacity.free == 4


def test_a_capacity_must_hold_something():
    with pytest.raises(ValueError):
        Capacity(0)


async def test_a_holder_queued_before_the_capacity_shrank_below_it_still_gets_its_turn():
    capacity = Capacity(64)
    release = asyncio.Event()

    async def hold(units: int) -> None:
        async with capacity.hold(units):
            await release.wait()

    first = asyncio.create_task(hold(32))
    await asyncio.sleep(0)
    queued = asyncio.create_task(hold(64))  # waits for the first
    await asyncio.sleep(0)
    capacity.resize(8)
    release.set()
    await asyncio.wait_for(asyncio.gather(first, queued), 5)
    assert capacity.free == capacity.total == 8
