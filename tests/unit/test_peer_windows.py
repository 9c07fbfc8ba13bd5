"""Each model has its own window of rows in flight: a slow model's late answers do not shrink
a fast model's calls (before, one window served every model a worker called)."""

import grpc

from inferlane.common.aimd import AdaptiveLimit
from services.tasks.peers import Peers


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_slow_models_late_answers_leave_another_models_window_alone():
    clock = FakeClock()
    made: list[AdaptiveLimit] = []

    def window() -> AdaptiveLimit:
        made.append(
            AdaptiveLimit(floor=8, initial=256, ceiling=2048, target_seconds=2, clock=clock)
        )
        return made[-1]

    channel = grpc.aio.insecure_channel("127.0.0.1:1")  # never called
    try:
        peers = Peers(channel, channel, rows=window)
        assert peers.rows_per_call("sentiment", 64, 256, 4) == 64
        assert peers.rows_per_call("diabetes-progression", 64, 256, 4) == 64
        slow = made[0]
        for _ in range(3):
            async with slow.hold(64):
                clock.now += 5  # late
        assert peers.rows_per_call("sentiment", 64, 256, 4) == 32
        fast = made[1]
        for _ in range(12):
            async with fast.hold(64):
                clock.now += 0.01  # on time
        assert peers.rows_per_call("diabetes-progression", 64, 256, 4) == 256
        assert len(made) == 2  # one window per model, made once
    finally:
        await channel.close()
