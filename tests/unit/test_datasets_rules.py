"""The datasets service's decisions, without a database: services/datasets/rules.py."""

from datetime import UTC, datetime, timedelta

import pytest

from inferlane.common.errors import Conflict, Gone, InvalidInput
from services.datasets import rules

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("limit", "size"), [(0, rules.PREVIEW_ROWS), (5, 5), (10_000, rules.MAX_ROWS_PAGE)]
)
def test_a_preview_page_is_the_default_the_ask_or_the_cap(limit: int, size: int) -> None:
    assert rules.preview_page_size(0, limit) == size


@pytest.mark.parametrize(("offset", "limit"), [(-1, 5), (0, -1)])
def test_negative_windows_are_refused(offset: int, limit: int) -> None:
    with pytest.raises(InvalidInput, match="must not be negative"):
        rules.preview_page_size(offset, limit)
    with pytest.raises(InvalidInput, match="must not be negative"):
        rules.check_row_range(offset, limit)


def test_reading_to_the_end_needs_no_limit() -> None:
    rules.check_row_range(0, None)


@pytest.mark.parametrize(
    ("offset", "limit", "preview", "rows", "stored"),
    [
        (0, 20, 20, 1_000, True),  # the page is inside the preview
        (10, 20, 20, 1_000, False),  # it runs past the preview: read the file
        (10, 20, 12, 12, True),  # the preview is the whole dataset
    ],
)
def test_the_stored_preview_answers_only_what_it_covers(
    offset: int, limit: int, preview: int, rows: int, stored: bool
) -> None:
    assert rules.in_stored_preview(offset, limit, preview, rows) is stored


def test_a_column_must_exist() -> None:
    rules.check_column(None, ["text"])
    rules.check_column("text", ["text"])
    with pytest.raises(InvalidInput, match="no column 'label'"):
        rules.check_column("label", ["text"])


def test_share_links_live_a_second_to_seven_days_and_default_to_the_longest() -> None:
    assert rules.share_lifetime(0) == rules.MAX_SHARE == timedelta(days=7)
    assert rules.share_lifetime(1) == timedelta(seconds=1)
    assert rules.share_lifetime(7 * 24 * 3600) == timedelta(days=7)
    for seconds in (-1, 7 * 24 * 3600 + 1):
        with pytest.raises(InvalidInput, match="between 1 second and 7 days"):
            rules.share_lifetime(seconds)


def test_a_revoked_or_expired_link_is_gone() -> None:
    rules.check_share_works(None, NOW + timedelta(seconds=1), NOW)
    with pytest.raises(Gone, match="revoked"):
        rules.check_share_works(NOW, NOW + timedelta(days=1), NOW)
    with pytest.raises(Gone, match="expired"):
        rules.check_share_works(None, NOW, NOW)  # expiring now is expired


def test_a_dataset_a_running_task_reads_cannot_be_deleted() -> None:
    rules.check_deletable(False)
    with pytest.raises(Conflict, match="running task"):
        rules.check_deletable(True)
