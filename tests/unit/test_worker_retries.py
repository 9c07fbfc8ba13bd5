"""A chunk's retries: backoff within a budget of time, with waits for readiness uncharged."""

from services.tasks.worker.retries import RetryBudget


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_delays_double_up_to_the_ceiling_and_stop_once_the_budget_is_spent():
    clock = FakeClock()
    budget = RetryBudget(60, 1, 8, clock=clock)
    delays = []
    while (delay := budget.next_delay()) is not None:
        delays.append(delay)
        clock.now += delay
    assert delays[:5] == [1, 2, 4, 8, 8]
    assert sum(delays) == 60  # the last pause is trimmed to what is left of the budget
    assert budget.failures == len(delays) + 1


def test_time_waiting_for_readiness_is_not_charged():
    clock = FakeClock()
    budget = RetryBudget(10, 1, 1, clock=clock)
    assert budget.next_delay() == 1
    clock.now += 1000
    budget.pause(995)  # inference was down: the worker only waited
    assert budget.next_delay() == 1
