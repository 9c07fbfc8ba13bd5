"""Consume blocking iterators (file parsing, disk reads) without blocking the event loop."""

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


async def iterate_in_thread(
    make: Callable[[], Iterator[T]], batch_size: int = 256
) -> AsyncIterator[list[T]]:
    """Yield batches pulled from the iterator in a worker thread, one batch at a time, so
    memory stays bounded by one batch however long the iterator is."""
    iterator = await asyncio.to_thread(make)
    try:
        while batch := await asyncio.to_thread(
            lambda: list(itertools.islice(iterator, batch_size))
        ):
            yield batch
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            await asyncio.to_thread(close)
