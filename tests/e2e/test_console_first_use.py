"""What a new user stumbles on in the console (issue 21), in headless Chromium."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.support.browser import VIEWPORT, register, screenshot, start_long_task, upload
from tests.support.cli_reviews import reviews_csv
from tests.support.platform import Platform

pytestmark = pytest.mark.slow
ROWS = 24
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BIG = 20_000  # rows: long enough on this CPU to be cancelled while it runs


@pytest.fixture(scope="module")
def reviews_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reviews_csv(tmp_path_factory.mktemp("first-use") / "first-use.csv", rows=ROWS)


def analyse_page(page: Page) -> None:
    register(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analyse a review").click()
    expect(page.get_by_role("heading", name="Analyse a review")).to_be_visible()


def test_blank_review_is_refused_and_clears_the_last_answer(page: Page) -> None:
    analyse_page(page)
    page.get_by_label("Review text").fill("Lovely fabric, fits perfectly.")
    page.get_by_role("button", name="Analyse").click()
    expect(page.locator(".verdict .label")).to_have_text("positive")

    page.get_by_label("Review text").fill("    ")
    page.get_by_role("button", name="Analyse").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("blank text has no sentiment")
    expect(page.locator(".verdict")).to_have_count(0)


def test_a_review_over_the_limit_is_named_not_cut(page: Page) -> None:
    analyse_page(page)
    review = "The fabric is lovely but it runs small. " * 15  # 600 characters
    assert len(review) == 600
    box = page.get_by_label("Review text")
    box.fill(review)
    expect(box).to_have_value(review)  # nothing cut on the way in
    expect(page.get_by_text("600 / 512 characters (88 too many")).to_be_visible()
    page.get_by_role("button", name="Analyse").click()
    expect(page.get_by_role("alert")).to_contain_text("600 characters; the model reads at most 512")
    expect(page.locator(".verdict")).to_have_count(0)


def test_api_docs_render_offline_under_a_strict_csp(page: Page, platform: Platform) -> None:
    outside: list[str] = []

    def only_the_gateway(route: Route) -> None:
        if route.request.url.startswith(platform.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_gateway)
    page.goto("/docs")
    expect(page.get_by_role("heading", name="Inferlane")).to_be_visible()
    expect(page.get_by_text("leave client_id and client_secret empty")).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="tasks")).to_be_visible()
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux")
    expect(dialog.get_by_role("heading", name="OAuth2PasswordBearer", exact=False)).to_be_visible()
    expect(dialog.get_by_text("client_id and client_secret stay empty")).to_be_visible()
    assert outside == []


def test_a_share_link_opens_a_page_for_people_and_json_for_scripts(
    page: Page, browser: Browser, platform: Platform, reviews_file: Path, shots: Path
) -> None:
    register(page)
    dataset_id = upload(page, reviews_file, ROWS)
    page.goto(f"/datasets/{dataset_id}")
    expect(page.get_by_text("No working share links.")).to_be_visible()
    page.get_by_role("button", name="Create share link").click()
    link = page.get_by_label("Read-only link", exact=False).input_value()
    links = page.get_by_role("list", name="Working share links")
    expect(links.get_by_role("listitem")).to_have_count(1)

    stranger = browser.new_context(base_url=platform.url, viewport=VIEWPORT)
    try:
        opened = stranger.new_page()
        opened.goto(link)
        expect(opened).to_have_url(re.compile(r"/shared/[^/]+$"))
        expect(opened.get_by_role("heading", name=reviews_file.name)).to_be_visible()
        expect(opened.get_by_text("Shared with you, read-only.")).to_be_visible()
        expect(opened.locator("table.preview tbody tr")).to_have_count(20)
        expect(opened.get_by_role("link", name="Download file")).to_be_visible()
        screenshot(opened, shots, "shared.png")
        with opened.expect_download() as download:
            opened.get_by_role("link", name="Download file").click()
        assert Path(download.value.path()).read_bytes() == reviews_file.read_bytes()
        as_json = stranger.request.get(link, headers={"Accept": "application/json"})
        assert as_json.json()["dataset"]["id"] == dataset_id

        links.get_by_role("button", name="Revoke").click()
        expect(page.get_by_text("No working share links.")).to_be_visible()
        opened.reload()
        expect(opened.get_by_role("alert")).to_contain_text("This link no longer works.")
    finally:
        stranger.close()


def test_cancel_asks_first_and_the_cancelled_page_tells_the_truth(
    page: Page, tmp_path: Path
) -> None:
    start_long_task(page, tmp_path / "many.csv", BIG)
    page.get_by_role("button", name="Cancel task").click()
    page.get_by_role("button", name="Keep it running").click()  # a slip of the mouse: no harm
    expect(page.get_by_role("button", name="Cancel task")).to_be_visible()
    page.get_by_role("button", name="Cancel task").click()
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("status").filter(has_text="Status")).to_contain_text("cancelled")
    notice = page.locator(".notice")
    expect(notice).to_be_visible()
    done = int(page.locator("#task-progress").get_attribute("value") or 0)
    if done == 0:
        expect(notice).to_have_text(
            "This task was cancelled before any row was done, so it has no results."
        )
        expect(page.get_by_role("link", name="Download CSV")).to_have_count(0)
        expect(page.get_by_role("button", name="Next page")).to_have_count(0)
        expect(page.get_by_role("img", name="Rows per label", exact=False)).to_have_count(0)
    else:  # a worker got some rows done first: they are there to see
        expect(notice).to_contain_text(f"after {done:,} of {BIG:,} rows")
        expect(page.get_by_role("link", name="Download CSV")).to_be_visible()


def test_once_the_cancel_answer_says_cancelled_the_page_stops_following(
    page: Page, tmp_path: Path
) -> None:
    """The event stream and the cancel answer race: a look taken before the cancel can
    arrive after its answer (CI once saw the bar go back from 96 to 32 rows). Here the stream
    is held back, as a slow proxy would, so anything on it could only come late: the page
    must close it when the answer says the task ended, not wait for it."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)  # never answered

    page.route("**/api/v1/tasks/*/events", hold)
    with page.expect_request("**/api/v1/tasks/*/events"):
        start_long_task(page, tmp_path / "many.csv", BIG)
    page.get_by_role("button", name="Cancel task").click()
    with page.expect_event("requestfailed", lambda r: r.url.endswith("/events")):
        page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_role("status").filter(has_text="Status")).to_contain_text("cancelled")
    assert len(held) == 1  # and no second stream was opened


@pytest.mark.parametrize("width", [1280, 390])
def test_the_console_reads_well_on_a_desktop_and_a_phone(
    browser: Browser, platform: Platform, reviews_file: Path, width: int
) -> None:
    ctx = browser.new_context(base_url=platform.url, viewport={"width": width, "height": 844})
    ctx.set_default_timeout(60_000)
    try:
        page = ctx.new_page()
        register(page)
        header = page.locator("header.top").bounding_box()
        assert header is not None and header["height"] <= (100 if width < 500 else 60)  # was 145
        dataset_id = upload(page, reviews_file, ROWS)
        table = page.locator("main table").first.bounding_box()
        assert table is not None and table["x"] >= 0
        save_docs_shot(page, f"datasets-{width}.png")
        page.goto(f"/tasks/new?dataset={dataset_id}")
        page.get_by_role("button", name="Start task").click()
        expect(page.locator("#progress-text")).to_contain_text("(100 %)", timeout=60_000)
        label = page.locator("text.chart-label").first
        expect(label).to_be_visible()
        scale = label.evaluate("t => t.ownerSVGElement.getScreenCTM().a")
        assert 15 * scale >= 12, scale  # the chart's 15-unit text, as drawn on screen
        first = page.locator("table.results tbody tr").first
        badge = first.locator(".label")
        expect(badge).to_be_visible()
        box = badge.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width  # no sideways scrolling
        save_docs_shot(page, f"task-{width}.png")
        save_docs_shot(page, f"results-{width}.png", around="table.results caption")
    finally:
        ctx.close()


def save_docs_shot(page: Page, name: str, around: str | None = None) -> None:
    """Screenshots at both widths, kept in docs/screenshots/ (the README links them): the
    viewport at the top, or scrolled to the `around` selector."""
    if around:
        page.locator(around).first.scroll_into_view_if_needed()
    else:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=DOCS_SHOTS / name)


def test_a_new_user_is_told_what_things_are(page: Page, reviews_file: Path) -> None:
    page.goto("/signin")
    expect(
        page.get_by_text("Inferlane runs machine-learning models over your data")
    ).to_be_visible()
    register(page)
    expect(page).to_have_url(re.compile(r"/datasets$"))  # not left on /register
    upload(page, reviews_file, ROWS)
    page.goto("/tasks/new")
    model = page.get_by_label("Model")
    expect(model.locator("option[value=sentiment]")).to_contain_text("labels each text")
    expect(model).not_to_contain_text("(tabular_regression)")
