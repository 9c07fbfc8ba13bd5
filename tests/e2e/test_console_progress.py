"""A running task's page says how fast it goes and when it should be done (issue 21, point 6),
in headless Chromium."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import start_long_task

pytestmark = pytest.mark.slow
BIG = 20_000  # rows: the task runs for a while on this CPU, so its rate is seen mid-run
RATE = re.compile(r"[\d,.]+ rows/s, (about [\d,]+ min|less than a minute) left")


def test_a_running_task_shows_its_rate_and_time_left(page: Page, tmp_path: Path) -> None:
    start_long_task(page, tmp_path / "big.csv", BIG)
    text = page.locator("#progress-text")
    expect(text).to_contain_text(RATE, timeout=120_000)
    page.get_by_role("button", name="Cancel task").click()  # free the worker for other tests
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("status").filter(has_text="Status")).to_contain_text("cancelled")
    expect(text).not_to_contain_text("rows/s")  # no estimate once it has finished
