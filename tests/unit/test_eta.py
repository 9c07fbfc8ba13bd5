"""The rate and completion estimate of a running task (services/tasks/eta.py)."""

from datetime import UTC, datetime, timedelta

from services.tasks.domain import Progress
from services.tasks.eta import estimate

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_no_rate_before_the_first_row() -> None:
    assert estimate(Progress(0, 1000, 0), START, START + timedelta(seconds=5)) is None


def test_no_rate_before_the_task_started() -> None:
    assert estimate(Progress(10, 1000, 0), None, START) is None
    assert estimate(Progress(10, 1000, 0), START, START) is None


def test_rate_is_rows_since_start_and_completion_is_the_rest_at_that_rate() -> None:
    now = START + timedelta(seconds=10)
    found = estimate(Progress(250, 1000, 3), START, now)
    assert found is not None
    assert found.rows_per_second == 25.0
    assert found.completion == now + timedelta(seconds=30)


def test_all_rows_done_means_done_now() -> None:
    now = START + timedelta(seconds=4)
    found = estimate(Progress(100, 100, 0), START, now)
    assert found is not None and found.completion == now
