"""A task's progress as a client sees it while the platform is pushed around: every value read,
so a test can check that it never went backwards (reads that fail, while a service is down,
are skipped)."""

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable


@contextlib.asynccontextmanager
async def progress_log(read: Callable[[], Awaitable[int]]) -> AsyncIterator[list[int]]:
    """Yields the list of `done` counts read every 0.1 s until the block ends."""
    seen: list[int] = []

    async def poll() -> None:
        while True:
            with contextlib.suppress(Exception):
                seen.append(await read())
            await asyncio.sleep(0.1)

    poller = asyncio.create_task(poll())
    try:
        yield seen
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller


def never_backwards(seen: list[int]) -> bool:
    return all(a <= b for a, b in itertools.pairwise(seen))
