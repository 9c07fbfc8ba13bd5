"""Admission control (inferlane.common.admission): a bounded number of calls at once, a
bounded wait in line, refusal before any work with a Retry-After sized to the line."""

import asyncio

import pytest

from inferlane.common.admission import Admission
from inferlane.common.errors import Overloaded


async def test_calls_within_the_limit_run_together_and_the_next_waits_its_turn() -> None:
    admission = Admission("test", limit=2, max_wait=10)
    order: list[str] = []
    release = asyncio.Event()

    async def call(name: str) -> None:
        async with admission.admit():
            order.append(name)
            await release.wait()

    calls = [asyncio.create_task(call(n)) for n in ("a", "b", "c")]
    await asyncio.sleep(0)  # each call runs to where it waits
    assert order == ["a", "b"]
    assert admission.waiting == 1  # c, in line
    release.set()
    await asyncio.gather(*calls)
    assert order == ["a", "b", "c"]


async def test_a_call_that_cannot_start_within_the_wait_is_refused_and_never_runs() -> None:
    admission = Admission("test", limit=1, max_wait=0.05)
    ran = False
    async with admission.admit():
        with pytest.raises(Overloaded) as refused:
            async with admission.admit():
                ran = True
    assert not ran
    assert refused.value.retry_after >= 1
    assert admission.waiting == 0
    async with admission.admit():  # the slot came back
        ran = True
    assert ran


async def test_the_callers_deadline_cuts_the_wait_short() -> None:
    admission = Admission("test", limit=1, max_wait=60, margin=1.0)
    async with admission.admit():
        with pytest.raises(Overloaded):
            # 0.5 s left is less than the margin to answer in: refused without waiting
            await asyncio.wait_for(_enter(admission, time_remaining=0.5), 5)
        with pytest.raises(Overloaded):
            await asyncio.wait_for(_enter(admission, time_remaining=1.1), 5)


async def test_a_free_slot_is_taken_even_with_no_time_to_wait() -> None:
    admission = Admission("test", limit=1, max_wait=60, margin=1.0)
    await _enter(admission, time_remaining=0.0)


async def test_refused_callers_get_appointments_one_pace_apart() -> None:
    clock = _Clock(step=0.0)
    admission = Admission("test", limit=1, max_wait=0.01, clock=clock)
    for _ in range(60):  # calls that each take 3 s: the pace is learnt
        async with admission.admit():
            clock.now += 3.0
    async with admission.admit():  # the only slot is taken: every other call is refused
        returns = []
        for _ in range(3):
            with pytest.raises(Overloaded) as refused:
                await _enter(admission, time_remaining=None)
            returns.append(refused.value.retry_after)
    # Not all at once: each comes back about one pace (3 s) after the one refused before it.
    assert returns[0] >= 1
    assert returns[1] - returns[0] >= 2
    assert returns[2] - returns[1] >= 2


async def _enter(admission: Admission, time_remaining: float) -> None:
    async with admission.admit(time_remaining):
        pass


class _Clock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


async def test_a_line_too_long_to_get_through_in_time_refuses_at_once() -> None:
    clock = _Clock(step=2.0)
    admission = Admission("test", limit=1, max_wait=5, clock=clock)
    for _ in range(30):  # calls that each take 2 s by the fake clock: the pace is learnt
        async with admission.admit():
            pass
    async with admission.admit():  # the only slot is taken
        waiting = [asyncio.create_task(_enter(admission, time_remaining=None)) for _ in range(2)]
        await asyncio.sleep(0)  # two in line: ~4 s to get through, within the 5 s allowed
        assert admission.waiting == 2
        with pytest.raises(Overloaded) as refused:  # a third would need ~6 s: refused now
            await asyncio.wait_for(_enter(admission, time_remaining=None), 0.5)
        assert refused.value.retry_after >= 5
    await asyncio.gather(*waiting)  # those in line still get their turn
