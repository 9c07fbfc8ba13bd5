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


# The first `done` the page's progress bar shows above 0 (read every 50 ms, a value stays up
# for a second or more), kept in window.firstDone.
FIRST_DONE = """() => {
  const bar = document.querySelector("#task-progress");
  const done = bar && bar.hasAttribute("value") ? bar.value : 0;
  if (done > 0) window.firstDone = done;
  return done > 0;
}"""


def test_the_bar_moves_before_a_whole_chunk_is_done(page: Page, tmp_path: Path) -> None:
    """Progress shows early, not after the first 256 rows (issue 21, point 6): the first
    chunks are small, so the first `done` the bar shows is under 256."""
    start_long_task(page, tmp_path / "medium.csv", 3_000)
    page.wait_for_function(FIRST_DONE, polling=50, timeout=180_000)
    first = page.evaluate("window.firstDone")
    assert 0 < first < 256, first
    page.get_by_role("button", name="Cancel task").click()  # free the worker for other tests
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("status").filter(has_text="Status")).to_contain_text("cancelled")
