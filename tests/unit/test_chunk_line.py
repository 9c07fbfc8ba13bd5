"""The line batch chunks wait in for a worker's batch slots: lowest chunk index first, then
first come; cancel-safe, and every slot comes back."""

import asyncio

import pytest

from services.tasks.worker.chunk_line import ChunkLine


async def _run_in_line(line: ChunkLine, arrivals: list[tuple[str, int]]) -> list[str]:
    """Each (name, chunk index) arrives in turn and holds its slot until the test lets go;
    returns the order they got a slot in."""
    order: list[str] = []
    go = asyncio.Event()

    async def chunk(name: str, index: int) -> None:
        async with line.turn(index):
            order.append(name)
            await go.wait()

    jobs = []
    for name, index in arrivals:
        jobs.append(asyncio.create_task(chunk(name, index)))
        await asyncio.sleep(0)
    go.set()
    await asyncio.gather(*jobs)
    return order


async def test_a_freed_slot_goes_to_the_lowest_chunk_index_then_to_the_first_come():
    line = ChunkLine(2)
    # a7 and a6 take the two free slots; the rest wait and go by index, ties by arrival.
    arrivals = [("a7", 7), ("a6", 6), ("a9", 9), ("a0", 0), ("b0", 0), ("a1", 1), ("b3", 3)]
    order = await _run_in_line(line, arrivals)
    assert order == ["a7", "a6", "a0", "b0", "a1", "b3", "a9"]
    assert line.free == 2 and line.waiting == 0


async def _one(line: ChunkLine, index: int) -> None:
    async with line.turn(index):
        await asyncio.sleep(0)


async def test_a_cancelled_waiter_leaves_the_line_and_no_slot_is_lost():
    line = ChunkLine(1)
    release = asyncio.Event()

    async def holder() -> None:
        async with line.turn(0):
            await release.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(_one(line, 1))
    behind = asyncio.create_task(_one(line, 2))
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    release.set()
    await asyncio.gather(first, behind)
    assert line.free == 1 and line.waiting == 0


async def test_a_waiter_cancelled_as_it_is_granted_passes_the_slot_on():
    line = ChunkLine(1)
    release = asyncio.Event()

    async def holder() -> None:
        async with line.turn(0):
            await release.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    granted_then_cancelled = asyncio.create_task(_one(line, 1))
    behind = asyncio.create_task(_one(line, 2))
    await asyncio.sleep(0)
    release.set()
    await first  # its exit grants the slot to the next waiter, which has not resumed yet
    granted_then_cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await granted_then_cancelled
    await behind
    assert line.free == 1 and line.waiting == 0


def test_a_line_needs_a_slot():
    with pytest.raises(ValueError):
        ChunkLine(0)
