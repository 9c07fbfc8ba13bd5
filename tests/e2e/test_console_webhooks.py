"""Account → Webhooks in the console, at phone width (390 px), in headless Chromium: add an
endpoint and see its secret once, list it, see its deliveries after a task, delete it; the
pages pass axe-core."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from inferlane.client import Client
from tests.support.browser import PASSWORD, register, screenshot
from tests.support.platform import Platform
from tests.support.waiting import wait_until
from tests.support.webhook_thread_receiver import ThreadReceiver

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser, platform: Platform) -> Iterator[Page]:
    ctx = browser.new_context(base_url=platform.url, viewport=PHONE)
    ctx.set_default_timeout(60_000)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    ctx.close()
    assert errors == [], errors


def accessible_and_narrow(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing scrolls sideways


def test_add_see_the_secret_once_list_deliveries_and_delete(
    phone: Page, platform: Platform, shots: Path
) -> None:
    receiver = ThreadReceiver()
    try:
        email = register(phone)
        phone.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
        expect(phone.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
        expect(phone.get_by_text("No endpoints yet.")).to_be_visible()

        phone.get_by_label("URL").fill(receiver.url)
        phone.get_by_role("button", name="Add endpoint").click()
        secret = phone.get_by_label(f"Signing secret of {receiver.url}")
        expect(secret).to_have_value(re.compile(r"^whsec_[A-Za-z0-9+/=]+$"))
        expect(phone.get_by_text("This is the only time it is shown.")).to_be_visible()
        phone.get_by_role("button", name="Copy secret").click()
        expect(phone.get_by_text("Copied.")).to_be_visible()
        row = phone.locator("table.webhooks tbody tr")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(receiver.url)
        expect(row.locator(".badge")).to_have_text("active")
        accessible_and_narrow(phone)
        screenshot(phone, shots, "webhooks-390.png")

        phone.reload()  # the secret is never shown again
        expect(phone.locator("table.webhooks tbody tr")).to_have_count(1)
        expect(phone.get_by_label(f"Signing secret of {receiver.url}")).to_have_count(0)

        # A task that ends after the endpoint was added is delivered to it (run through the
        # SDK as this user: the console's "Analyse" predicts without a task).
        with Client(platform.url) as client:
            client.login(email, PASSWORD)
            task = client.submit_single("sentiment", {"text": "Lovely fabric, fits perfectly."})
            assert client.wait(task.id).status == "ready"
            endpoint = client.list_webhooks().items[0]
            wait_until(
                lambda: bool(client.webhook_deliveries(endpoint.id).items), 120, "a delivery"
            )

        phone.get_by_role("link", name=f"Deliveries of {receiver.url}").click()
        expect(phone.get_by_role("heading", name="Deliveries", level=1)).to_be_visible()
        attempts = phone.locator("table.results tbody tr")
        expect(attempts).to_have_count(1)
        expect(attempts.first).to_contain_text(str(task.id))
        expect(attempts.first).to_contain_text("task.ready")
        expect(attempts.first.locator("[data-label='Status code']")).to_have_text("200")
        expect(attempts.first.locator("[data-label='Attempt']")).to_have_text("1")
        expect(attempts.first.locator("[data-label='Latency']")).to_contain_text("ms")
        accessible_and_narrow(phone)
        screenshot(phone, shots, "webhook-deliveries-390.png")

        phone.get_by_role("link", name="Account → Webhooks").click()
        phone.get_by_role("button", name="Rotate secret").click()
        expect(phone.get_by_text("New secret: the old one no longer signs")).to_be_visible()
        phone.get_by_role("button", name="Delete", exact=True).click()
        phone.get_by_role("button", name="Keep it").click()  # asked first, like cancel
        expect(phone.locator("table.webhooks tbody tr")).to_have_count(1)
        phone.get_by_role("button", name="Delete", exact=True).click()
        phone.get_by_role("button", name="Yes, delete it").click()
        expect(phone.get_by_text("No endpoints yet.")).to_be_visible()
    finally:
        receiver.stop()
