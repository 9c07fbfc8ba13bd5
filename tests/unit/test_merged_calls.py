"""Concurrent calls for one model version share Triton requests (merged_calls.py): a lone call
goes at once, calls that arrive while a request is in flight go together next and each gets
its own rows back, a bad call fails alone, a caller that left is skipped."""

import asyncio

import numpy as np
import pytest

from inferlane.common.errors import InvalidInput, Unavailable
from services.inference.merged_calls import Limits, MergedCalls

EIGHT_ROWS_ONE_AT_A_TIME = Limits(max_rows=8, in_flight=1)


class ModelServer:
    """Stands in for Triton: answers each row with its own number, records every request's
    rows, and holds each request until the test lets it go."""

    def __init__(self, limits: Limits | None = EIGHT_ROWS_ONE_AT_A_TIME) -> None:
        self.requests: list[list[float]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail: Exception | None = None
        self.limits = limits
        self.limit_reads = 0

    async def infer(self, model: str, inputs: dict, output: str, version: str) -> np.ndarray:
        rows = inputs["X"].reshape(-1).tolist()
        self.requests.append(rows)
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        if -1.0 in rows:
            raise InvalidInput("row -1 is refused")
        return np.asarray(inputs["X"], np.float32) * 10

    async def read_limits(self, model: str, version: str) -> Limits | None:
        self.limit_reads += 1
        return self.limits


def rows(*values: float) -> dict[str, np.ndarray]:
    return {"X": np.array([[v] for v in values], np.float32)}


def answered(result: np.ndarray) -> list[float]:
    return result.reshape(-1).tolist()


Call = tuple[str, dict[str, np.ndarray], str]  # model, rows, version


async def behind_a_held_request(
    server: ModelServer, calls: MergedCalls, first: dict[str, np.ndarray], later: list[Call]
) -> tuple["asyncio.Task[np.ndarray]", list["asyncio.Task[np.ndarray]"]]:
    """Sends `first` and lets the server hold its request, then sends `later` while it is in
    flight. The test releases the server when it has done what it wants meanwhile."""
    server.release.clear()
    held = asyncio.create_task(calls.infer("m", first, "Y", "1"))
    await asyncio.sleep(0.01)  # the first request is at the server, held there
    tasks = [asyncio.create_task(calls.infer(m, r, "Y", v)) for m, r, v in later]
    await asyncio.sleep(0.01)  # the later calls are waiting in line
    return held, tasks


async def test_a_lone_call_goes_at_once_and_alone() -> None:
    server = ModelServer()
    calls = MergedCalls(server.infer, server.read_limits)
    assert answered(await calls.infer("m", rows(1, 2), "Y", "1")) == [10, 20]
    assert server.requests == [[1, 2]]


async def test_calls_arriving_while_one_is_in_flight_share_the_next_request() -> None:
    server = ModelServer()
    calls = MergedCalls(server.infer, server.read_limits)
    first, later = await behind_a_held_request(
        server, calls, rows(1), [("m", rows(v, v + 0.5), "1") for v in (2, 3)]
    )
    server.release.set()
    assert answered(await first) == [10]
    assert [answered(await t) for t in later] == [[20, 25], [30, 35]]
    assert server.requests == [[1], [2, 2.5, 3, 3.5]]


async def test_a_request_carries_at_most_the_models_max_rows() -> None:
    server = ModelServer(Limits(max_rows=4, in_flight=1))
    calls = MergedCalls(server.infer, server.read_limits)
    first, later = await behind_a_held_request(
        server, calls, rows(0), [("m", rows(v, v), "1") for v in (1, 2, 3)]
    )
    server.release.set()
    await asyncio.gather(first, *later)
    assert server.requests == [[0], [1, 1, 2, 2], [3, 3]]


async def test_one_bad_call_in_a_merged_request_fails_alone() -> None:
    server = ModelServer()
    calls = MergedCalls(server.infer, server.read_limits)
    first, (bad, good) = await behind_a_held_request(
        server, calls, rows(1), [("m", rows(-1), "1"), ("m", rows(2), "1")]
    )
    server.release.set()
    await first
    with pytest.raises(InvalidInput):
        await bad
    assert answered(await good) == [20]


async def test_a_failure_of_the_server_reaches_every_call_in_the_request() -> None:
    server = ModelServer()
    calls = MergedCalls(server.infer, server.read_limits)
    first, later = await behind_a_held_request(
        server, calls, rows(1), [("m", rows(v), "1") for v in (2, 3)]
    )
    server.fail = Unavailable("the model server is unavailable")
    server.release.set()
    for task in (first, *later):
        with pytest.raises(Unavailable):
            await task
    # The next call after the failure is sent as usual.
    server.fail = None
    assert answered(await calls.infer("m", rows(4), "Y", "1")) == [40]


async def test_a_caller_that_left_is_not_sent() -> None:
    server = ModelServer()
    calls = MergedCalls(server.infer, server.read_limits)
    first, (gone, kept) = await behind_a_held_request(
        server, calls, rows(1), [("m", rows(2), "1"), ("m", rows(3), "1")]
    )
    gone.cancel()
    server.release.set()
    await first
    assert answered(await kept) == [30]
    assert server.requests == [[1], [3]]


async def test_versions_and_models_never_share_a_request() -> None:
    server = ModelServer()
    calls = MergedCalls(server.infer, server.read_limits)
    first, others = await behind_a_held_request(
        server, calls, rows(1), [("m", rows(2), "2"), ("n", rows(3), "1"), ("m", rows(4), "1")]
    )
    server.release.set()
    await asyncio.gather(first, *others)
    assert sorted(server.requests) == [[1], [2], [3], [4]]


async def test_one_callers_calls_in_a_row_never_wait() -> None:
    """Not crowded: each call goes alone the moment it comes, whatever the hold would be."""
    server = ModelServer()
    calls = MergedCalls(server.infer, server.read_limits)
    for v in range(5):
        assert answered(await calls.infer("m", rows(v), "Y", "1")) == [v * 10]
    assert server.requests == [[v] for v in range(5)]


async def test_without_limits_from_the_server_nothing_is_merged() -> None:
    server = ModelServer(limits=None)
    calls = MergedCalls(server.infer, server.read_limits)
    server.release.clear()
    jobs = [asyncio.create_task(calls.infer("m", rows(v), "Y", "1")) for v in (1, 2, 3)]
    await asyncio.sleep(0.01)
    assert len(server.requests) == 3  # all three in flight at once, as sent
    server.release.set()
    assert [answered(await j) for j in jobs] == [[10], [20], [30]]
    assert server.limit_reads == 1  # not asked again on every call while it cannot say
