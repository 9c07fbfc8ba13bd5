"""Rows in flight follow the model's pace: halved when late or busy, grown when on time."""

import pytest

from inferlane.common.aimd import AdaptiveLimit


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Busy(Exception):
    pass


def limit(clock: FakeClock) -> AdaptiveLimit:
    return AdaptiveLimit(
        floor=64, ceiling=256, target_seconds=2, busy=lambda e: isinstance(e, Busy), clock=clock
    )


async def call(rows: AdaptiveLimit, clock: FakeClock, seconds: float, fail: bool = False):
    async with rows.hold(64):
        clock.now += seconds
        if fail:
            raise Busy


async def test_late_answers_halve_the_window_down_to_one_call_and_on_time_ones_grow_it():
    clock = FakeClock()
    rows = limit(clock)
    assert rows.window == 256
    for _ in range(5):
        await call(rows, clock, 3)
    assert rows.window == 64  # never below one call's rows
    for _ in range(20):
        await call(rows, clock, 0.5)
    assert rows.window == 256


async def test_a_busy_refusal_cuts_the_window():
    clock = FakeClock()
    rows = limit(clock)
    with pytest.raises(Busy):
        await call(rows, clock, 0.1, fail=True)
    assert rows.window == 128


async def test_calls_in_flight_before_a_cut_do_not_cut_again():
    clock = FakeClock()
    rows = limit(clock)
    first, second = rows.hold(64), rows.hold(64)
    await first.__aenter__()
    await second.__aenter__()
    clock.now += 3
    await first.__aexit__(None, None, None)
    await second.__aexit__(None, None, None)  # the same slow queue: no second halving
    assert rows.window == 128


async def test_calls_shrink_with_the_window():
    clock = FakeClock()
    rows = AdaptiveLimit(floor=8, ceiling=256, target_seconds=2, clock=clock)
    assert rows.call_rows(64) == 64
    for _ in range(6):
        async with rows.hold(rows.call_rows(64)):
            clock.now += 3
    assert rows.window == 8 and rows.call_rows(64) == 8


async def test_a_window_below_its_ceiling_doubles_per_round_trip_until_the_first_late_answer():
    clock = FakeClock()
    rows = AdaptiveLimit(floor=8, initial=256, ceiling=2048, target_seconds=2, clock=clock)
    assert rows.window == 256
    for _ in range(4):  # one window's worth of rows, each answered on time
        await call(rows, clock, 0.01)
    assert rows.window == 512
    for _ in range(8):
        await call(rows, clock, 0.01)
    assert rows.window == 1024
    await call(rows, clock, 3)  # late: halved, and from now on it grows slowly
    assert rows.window == 512
    for _ in range(8):
        await call(rows, clock, 0.01)
    assert rows.window == 520  # one window of rows on time: + step (the floor, 8)


async def test_a_slow_model_never_leaves_its_starting_window():
    clock = FakeClock()
    rows = AdaptiveLimit(floor=8, initial=256, ceiling=2048, target_seconds=2, clock=clock)
    await call(rows, clock, 3)
    assert rows.window == 128
    for _ in range(20):
        await call(rows, clock, 1)
    assert rows.window < 256


def test_calls_grow_with_the_window_up_to_the_most_a_call_may_carry():
    rows = AdaptiveLimit(floor=8, ceiling=2048, target_seconds=2)
    assert rows.call_rows(64, 256, calls=4) == 256  # 2048 // 4 = 512, capped at 256
    small = AdaptiveLimit(floor=8, ceiling=256, target_seconds=2)
    assert small.call_rows(64, 256, calls=4) == 64  # 4 calls of 64 already fill 256
    mid = AdaptiveLimit(floor=8, ceiling=512, target_seconds=2)
    assert mid.call_rows(64, 256, calls=4) == 128
    tiny = AdaptiveLimit(floor=8, ceiling=32, target_seconds=2)
    assert tiny.call_rows(64, 256, calls=4) == 32  # never more than the window
    assert tiny.call_rows(64) == 32  # the one-argument form: `preferred`, or the window


def test_the_starting_window_lies_between_floor_and_ceiling():
    with pytest.raises(ValueError, match="initial"):
        AdaptiveLimit(floor=8, initial=4096, ceiling=2048, target_seconds=2)
