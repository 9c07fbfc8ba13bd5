"""Headless Chromium for the console's end-to-end tests, and the steps they share.

Chromium is Debian's (/usr/bin/chromium); Playwright only drives it and never downloads one.
Screenshots of the main pages go to $INFERLANE_SCREENSHOT_DIR, else to the test's temp dir.
The fixtures are registered by tests/e2e/conftest.py.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.cli_reviews import fresh_email
from tests.support.platform import Platform
from tests.support.task_calls import reviews_csv as made_up_reviews

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1200, "height": 800}
PASSWORD = "correct horse battery staple"
REPO = Path(__file__).resolve().parents[2]
DOCS_SHOTS = {"task.png", "datasets.png"}  # committed in docs/screenshots/ for the README
TIMEOUT_MS = 60_000
DASH = "\u2013"  # the page writes ranges with an en dash


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Browser, platform: Platform) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=platform.url, viewport=VIEWPORT, accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A CSP refusal (an inline style or script slipped in) is only a console message.
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    assert errors == [], errors  # a script error is a bug even if the test got through


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("INFERLANE_SCREENSHOT_DIR")
    folder = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, folder: Path, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=folder / name)
    if name in DOCS_SHOTS and os.environ.get("INFERLANE_UPDATE_DOCS_SCREENSHOTS"):
        shutil.copyfile(folder / name, REPO / "docs" / "screenshots" / name)


def register(page: Page) -> str:
    email = fresh_email("console")
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Datasets", level=1)).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    return email


def upload(page: Page, file: Path, rows: int) -> str:
    """Upload on the datasets page; returns the new dataset's id."""
    page.get_by_label("File").set_input_files(file)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text(f"Uploaded {file.name}: {rows:,} rows.")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    link = page.get_by_role("link", name=file.name).first
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href is not None and href.startswith("/datasets/")
    return href.removeprefix("/datasets/")


def start_long_task(page: Page, file: Path, rows: int) -> None:
    """Register, upload `rows` made-up reviews to `file` and start a batch task over them: on
    this CPU it runs long enough to be watched (or cancelled) mid-run."""
    file.write_bytes(made_up_reviews(rows, column="text"))
    register(page)
    dataset_id = upload(page, file, rows)
    page.goto(f"/tasks/new?dataset={dataset_id}")
    page.get_by_role("button", name="Start task").click()
    expect(page.get_by_role("heading", name="Task ")).to_be_visible()
