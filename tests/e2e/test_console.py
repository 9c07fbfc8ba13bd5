"""The web console in headless Chromium against the whole running platform (fixtures and
shared steps: tests/support/browser.py)."""

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from inferlane.client import Client
from tests.support import search_reviews
from tests.support.browser import (
    DASH,
    PASSWORD,
    TIMEOUT_MS,
    VIEWPORT,
    register,
    screenshot,
    upload,
)
from tests.support.cli_reviews import reviews_csv
from tests.support.labelled_reviews import ACCURACY, CONFUSION, MACRO_F1, labelled_csv
from tests.support.platform import Platform

pytestmark = pytest.mark.slow

ROWS = 36


@pytest.fixture(scope="module")
def reviews_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few dozen real reviews (text and label), or made-up ones without the shared data."""
    return reviews_csv(tmp_path_factory.mktemp("upload") / "reviews.csv", rows=ROWS)


def test_batch_over_an_uploaded_csv_shows_progress_chart_and_exports(
    page: Page, reviews_file: Path, shots: Path, tmp_path: Path
) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, shots, "signin.png")
    register(page)
    dataset_id = upload(page, reviews_file, ROWS)
    screenshot(page, shots, "datasets.png")

    page.get_by_role("link", name=reviews_file.name).first.click()
    expect(page.get_by_role("heading", name=reviews_file.name)).to_be_visible()
    preview = page.get_by_role("table")
    expect(preview.get_by_role("columnheader", name="text")).to_be_visible()
    expect(preview.locator("tbody tr")).to_have_count(20)
    page.get_by_role("button", name="Create share link").click()
    share = page.get_by_label("Read-only link", exact=False)
    expect(share).to_have_value(re.compile(r"/api/v1/shared/\S+$"))
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text("Copied.")).to_be_visible()

    page.get_by_role("link", name="Run a model on it").click()
    expect(page.get_by_role("heading", name="New batch task")).to_be_visible()
    expect(page.get_by_label("Dataset")).to_have_value(dataset_id)
    expect(page.get_by_label("Column to read")).to_have_value("text")
    expect(page.get_by_label("Model")).to_have_value("sentiment")
    expect(page.get_by_label("Version")).to_have_value("")  # the newest ready one
    expect(page.get_by_label("Label column")).to_have_value("")  # no evaluation
    page.get_by_role("button", name="Start task").click()

    expect(page.get_by_role("heading", name="Task ")).to_be_visible()
    progress = page.locator("#task-progress")
    expect(page.locator("#progress-text")).to_contain_text("(100 %)", timeout=TIMEOUT_MS)
    expect(progress).to_have_attribute("value", str(ROWS))
    expect(progress).to_have_attribute("max", str(ROWS))
    expect(page.get_by_role("status").filter(has_text="Status")).to_contain_text("ready")
    expect(page.locator("#task-version")).to_have_text(re.compile(r"^\d+$"))
    chart = page.get_by_role("img", name="Rows per label", exact=False)
    expect(chart).to_be_visible()
    assert chart.locator("rect.chart-bar").count() >= 2
    results = page.locator("table.results")
    expect(results.locator("tbody tr")).to_have_count(20)
    expect(results.get_by_role("caption")).to_have_text(f"Rows 1{DASH}20")
    expect(results.locator("tbody tr td.num").first).to_have_text("1")  # as the caption
    screenshot(page, shots, "task.png")
    page.get_by_role("button", name="Next page").click()
    expect(results.get_by_role("caption")).to_have_text(f"Rows 21{DASH}{ROWS}")
    page.get_by_role("button", name="Previous page").click()
    expect(results.get_by_role("caption")).to_have_text(f"Rows 1{DASH}20")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".csv"
    exported = list(csv.DictReader(saved.open(encoding="utf-8")))
    assert len(exported) == ROWS
    assert {r["prediction.label"] for r in exported} <= {"positive", "neutral", "negative"}
    assert [r["row"] for r in exported] == [str(n) for n in range(1, ROWS + 1)]
    assert "label" not in exported[0]  # the file's own `label` column is not overwritten

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    row = page.get_by_role("row").filter(has=page.get_by_text("sentiment"))
    expect(row.first.locator(".badge-ready")).to_have_text("ready")


def test_one_review_is_analysed_at_once(page: Page, shots: Path) -> None:
    register(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analyse a review").click()
    review = "Absolutely love this dress, the fabric is gorgeous and it fits perfectly."
    page.get_by_label("Review text").fill(review)
    expect(page.get_by_text(f"{len(review)} / 512 characters")).to_be_visible()
    page.get_by_role("button", name="Analyse").click()
    label = page.locator(".verdict .label")
    expect(label).to_have_text("positive")
    chart = page.get_by_role("img", name="Score per label", exact=False)
    expect(chart).to_be_visible()
    for name in ("positive", "neutral", "negative"):
        expect(chart.locator("text.chart-label", has_text=name)).to_have_count(1)
    screenshot(page, shots, "analyse.png")


def test_another_user_sees_none_of_the_first_users_datasets(
    browser: Browser, platform: Platform, reviews_file: Path
) -> None:
    first = browser.new_context(base_url=platform.url, viewport=VIEWPORT)
    second = browser.new_context(base_url=platform.url, viewport=VIEWPORT)
    try:
        owner = first.new_page()
        register(owner)
        dataset_id = upload(owner, reviews_file, ROWS)

        other = second.new_page()
        register(other)
        expect(other.get_by_text("No datasets yet.")).to_be_visible()
        other.goto(f"/datasets/{dataset_id}")
        alert = other.get_by_role("alert")
        expect(alert).to_contain_text("Dataset not found.")
        expect(alert).not_to_contain_text("{")
        expect(other.get_by_role("link", name="Back to your datasets")).to_be_visible()
    finally:
        first.close()
        second.close()


def test_api_errors_read_as_sentences(page: Page) -> None:
    email = register(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Invalid email or password.")  # the sentence, no HTTP phrase
    expect(alert).not_to_contain_text('"detail"')

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Datasets", level=1)).to_be_visible()
    binary = {
        "name": "image.bin",
        "mimeType": "application/octet-stream",
        "buffer": b"\x00\xff" * 50,
    }
    page.get_by_label("File").set_input_files(files=[binary])
    page.get_by_role("button", name="Upload").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).not_to_contain_text("{")

    page.goto("/tasks/3b7e4c1a-9f2d-4e8b-a6c5-0d1e2f3a4b5c")
    expect(page.get_by_role("alert")).to_contain_text("Task not found.")
    page.goto("/tasks/no/such/page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_an_evaluating_task_started_from_the_form_shows_its_figures_and_confusion_matrix(
    page: Page, platform: Platform, shots: Path, tmp_path: Path
) -> None:
    email = register(page)
    labelled = tmp_path / "labelled.csv"
    labelled.write_bytes(labelled_csv())
    with Client(platform.url) as client:
        client.login(email, PASSWORD)
        dataset = client.upload_dataset(labelled)
    page.goto(f"/tasks/new?dataset={dataset.id}")
    expect(page.get_by_role("heading", name="New batch task")).to_be_visible()
    page.get_by_label("Version").select_option("1")
    page.get_by_label("Label column").select_option("label")
    page.get_by_role("button", name="Start task").click()
    expect(page.get_by_role("heading", name="Evaluation against")).to_be_visible()
    expect(page.locator("#task-version")).to_have_text("1")
    expect(page.get_by_text(f"Accuracy {ACCURACY:.3f} · macro-F1 {MACRO_F1:.3f}")).to_be_visible()
    matrix = page.locator("table.confusion tbody tr")
    expect(matrix).to_have_count(3)
    for i, expected in enumerate(CONFUSION):
        cells = matrix.nth(i).locator("td")
        expect(cells).to_have_text([*map(str, expected), str(sum(expected))])
    expect(page.locator("table.confusion td.diagonal")).to_have_count(3)
    page.locator("table.confusion").scroll_into_view_if_needed()
    page.screenshot(path=shots / "evaluation.png", full_page=True)


def test_a_finished_embedding_task_has_a_search_box_with_similarities(
    page: Page, tmp_path: Path, shots: Path
) -> None:
    groups = tmp_path / "groups.csv"
    groups.write_bytes(search_reviews.reviews_csv())
    register(page)
    page.get_by_label("File").set_input_files(groups)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text(f"Uploaded {groups.name}: {search_reviews.ROWS} rows.")).to_be_visible()
    page.get_by_role("link", name=groups.name).first.click()
    page.get_by_role("link", name="Run a model on it").click()
    page.get_by_label("Model").select_option("embedding")
    page.get_by_label("Column to read").select_option("review")
    page.get_by_role("button", name="Start task").click()
    expect(page.get_by_role("status").filter(has_text="Status")).to_contain_text("ready")

    page.get_by_label("Find rows like").fill("zipper broke after a week")
    page.get_by_label("How many").fill("3")
    page.get_by_role("button", name="Search").click()
    found = page.locator("table.search-results")
    expect(found.get_by_role("caption")).to_have_text("3 nearest rows")
    expect(found.locator("tbody tr").first).to_contain_text(search_reviews.GROUPS[0][0])
    rows = [int(cell) for cell in found.locator("tbody tr td:first-child").all_inner_texts()]
    assert sorted(rows) == [1, 2, 3]  # numbered from 1, as the result pages are
    similarities = [float(s) for s in found.locator("td.similarity").all_inner_texts()]
    assert similarities == sorted(similarities, reverse=True) and similarities[-1] > 0.5
    screenshot(page, shots, "search.png")
