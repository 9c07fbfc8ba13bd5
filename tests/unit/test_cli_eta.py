"""The CLI's live progress line: the server's rate and time left, or nothing."""

from datetime import UTC, datetime, timedelta

from inferlane.cli.output import eta_text
from inferlane.client.models import Progress

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_nothing_before_there_is_a_rate() -> None:
    assert eta_text(Progress(done=0, total=100, failed=0), NOW) == ""


def test_rate_and_minutes_left() -> None:
    progress = Progress(
        done=500,
        total=20_000,
        failed=0,
        rows_per_second=41.6,
        estimated_completion=NOW + timedelta(minutes=7, seconds=50),
    )
    assert eta_text(progress, NOW) == "42 rows/s, about 8 min left"


def test_slow_rates_keep_a_decimal_and_the_last_minute_is_said_so() -> None:
    progress = Progress(
        done=3,
        total=5,
        failed=0,
        rows_per_second=2.5,
        estimated_completion=NOW + timedelta(seconds=20),
    )
    assert eta_text(progress, NOW) == "2.5 rows/s, less than a minute left"
