"""Tasks are recognisable by their dataset, and scores are explained (issue 21, point 10),
in headless Chromium."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import PASSWORD, register, upload
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
    page.get_by_role("link", name="Run a model on it").click()  # one link, above the section
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


def test_signing_in_leaves_the_sign_in_page_and_its_history_entry(page: Page) -> None:
    email = register(page)
    expect(page).to_have_url(re.compile(r"/datasets$"))  # not left on /register
    page.context.clear_cookies()  # signed out
    page.goto("/signin")
    expect(
        page.get_by_text("Inferlane runs machine-learning models over your data")
    ).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Datasets", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/datasets$"))
    page.go_back()  # /signin was replaced, not stacked: Back does not return to the form
    expect(page).not_to_have_url(re.compile(r"/signin"))


def test_the_model_menu_says_what_each_model_does(page: Page, tmp_path: Path) -> None:
    register(page)
    dataset_id = upload(page, reviews_csv(tmp_path / "menu.csv", rows=ROWS), ROWS)
    page.goto(f"/tasks/new?dataset={dataset_id}")
    model = page.get_by_label("Model")
    regression = model.locator("option[value=diabetes-progression]")
    expect(regression).to_contain_text("diabetes-progression: predicts a number")
    expect(model).not_to_contain_text("tabular_regression")  # a kind's id is not a label
    expect(model).not_to_contain_text("text_classification")
