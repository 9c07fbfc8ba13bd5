"""Tasks are recognisable by their dataset, and scores are explained (issue 21, point 10),
in headless Chromium."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import register, upload
from tests.support.cli_reviews import reviews_csv

pytestmark = pytest.mark.slow
ROWS = 12


def test_task_list_and_page_name_the_dataset_and_explain_scores(page: Page, tmp_path: Path) -> None:
    source = reviews_csv(tmp_path / "winter-coats.csv", rows=ROWS)
    register(page)
    dataset_id = upload(page, source, ROWS)
    page.goto(f"/tasks/new?dataset={dataset_id}")
    page.get_by_role("button", name="Start task").click()
    expect(page.locator("#progress-text")).to_contain_text("(100 %)", timeout=60_000)
    dataset = page.get_by_role("link", name="winter-coats.csv")
    expect(dataset).to_have_attribute("href", f"/datasets/{dataset_id}")
    expect(page.locator("#scores-meaning")).to_contain_text("confidence in each label")

    page.goto("/tasks")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="winter-coats.csv"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("sentiment")


def test_a_dataset_page_lists_its_tasks(page: Page, tmp_path: Path) -> None:
    source = reviews_csv(tmp_path / "rain-boots.csv", rows=ROWS)
    register(page)
    dataset_id = upload(page, source, ROWS)
    page.goto(f"/datasets/{dataset_id}")
    section = page.get_by_role("region", name="Tasks on this dataset")
    expect(section).to_contain_text("No tasks on this dataset yet.")
    section.get_by_role("link", name="Run a model on it").click()
    page.get_by_role("button", name="Start task").click()
    expect(page.locator("#progress-text")).to_contain_text("(100 %)", timeout=60_000)
    task_path = page.url.split("/tasks/", 1)[1]

    page.goto(f"/datasets/{dataset_id}")
    rows = section.get_by_role("row").filter(has=page.get_by_role("link", name="Task "))
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("sentiment")
    expect(rows).to_contain_text("ready")
    link = rows.get_by_role("link", name=f"Task {task_path[:8]}")
    expect(link).to_have_attribute("href", f"/tasks/{task_path}")
    link.click()
    expect(page.get_by_role("heading", name=f"Task {task_path[:8]}")).to_be_visible()
