"""Destinations in Chromium: the catalog, a webhook created through the generated form, a
failing endpoint shown under delivery issues with its example, replay after it recovers,
the event tester's exchanges, and "Send to tester" from the debugger."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import ADMIN_TOKEN
from tests.dashboard.conftest import EMAIL, PASSWORD, VIEWPORT, screenshot
from tests.dashboard.test_debugger import send
from tests.fakes.sink import Reply, Sink
from tests.servers import RunningServer

pytestmark = pytest.mark.system

SECRET = "shared-secret-never-shown"


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink(default=Reply(400, body='{"error": "email is required"}')) as running:
        yield running


def until(page: Page, check: Callable[[], bool], seconds: float = 10) -> None:
    """Reload `page` until `check()` holds (rollups and deliveries land asynchronously)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the page never showed the expected state"
        time.sleep(0.3)
        page.reload()


def test_webhook_from_form_to_issues_replay_and_tester(
    page: Page, live: RunningServer, sink: Sink
) -> None:
    with httpx.Client(
        base_url=live.url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}
    ) as admin:
        source = admin.post("/api/v1/sources", json={"name": "Website"}).json()

    page.goto(live.url + "/destinations")
    expect(page.get_by_role("heading", name="No destinations yet")).to_be_visible()
    page.get_by_role("link", name="Browse the catalog").click()
    expect(page.get_by_role("heading", name="Marketo V2")).to_be_visible()
    screenshot(page, "07-destination-catalog")
    page.get_by_role("link", name="Set up Webhooks").click()

    page.get_by_label("Name", exact=True).fill("Growth webhook")
    page.get_by_label("Website").check()
    page.get_by_label("Webhook URLs").fill(f"{sink.url}/first\n{sink.url}/second")
    page.get_by_label("Custom headers").fill("X-Team = growth")
    page.get_by_label("Shared secret").fill(SECRET)
    screenshot(page, "08-destination-form")
    page.get_by_role("button", name="Create destination").click()
    expect(page.get_by_role("status")).to_contain_text("Destination created")
    # Secrets are write-only: the page says one is stored but never holds it.
    assert SECRET not in page.content()
    expect(page.get_by_label("Shared secret")).to_have_attribute(
        "placeholder", re.compile("Stored and hidden")
    )
    # Header values are secret too: shown masked; the endpoint still gets the real one.
    expect(page.get_by_label("Custom headers")).to_have_value("X-Team = **********")

    send(
        live,
        source["write_key"],
        [("track", ("ada", "Order Completed"), {"properties": {"revenue": 42.5}})],
    )
    sink.wait_for(2)
    assert sink.requests[0].header("x-team") == "growth"

    page.get_by_role("link", name="Event delivery").click()
    issue = page.locator("details.issue")
    until(page, lambda: issue.count() == 1)
    expect(issue).to_contain_text("The destination rejected the event (HTTP 400)")
    expect(page.locator('[data-stat="failed"]')).to_have_text("1")
    issue.locator("> summary").click()
    example = issue.locator(".example").first
    expect(example.locator(".hop").nth(0)).to_contain_text('"event": "Order Completed"')
    expect(example.locator(".hop").nth(1)).to_contain_text(f"POST {sink.url}/first")
    expect(example.locator(".hop").nth(2)).to_contain_text("email is required")
    screenshot(page, "09-event-delivery-issues", issue)

    # The endpoint is fixed; replay, after a confirmation, delivers the failed event.
    sink.set_default(Reply(200, body="ok"))
    page.get_by_role("link", name="Replay failed deliveries").click()
    expect(page.get_by_role("heading", name=re.compile("Replay failed deliveries"))).to_be_visible()
    screenshot(page, "10-replay-confirm")
    page.get_by_role("button", name="Yes, replay them").click()
    expect(page.get_by_role("status")).to_contain_text("1 failed delivery was queued again")
    delivered = page.locator('[data-stat="delivered"]')
    until(page, lambda: delivered.inner_text() == "1")
    screenshot(page, "11-event-delivery")

    # The event tester: both URLs are called, each exchange is shown in turn.
    page.get_by_role("navigation", name="Destination").get_by_role(
        "link", name="Event tester"
    ).click()
    page.get_by_role("button", name="Send test event").click()
    expect(page.locator("#outcome")).to_have_attribute("data-kind", "delivered")
    # The preset mapping matched, and what it made of the event is shown before the requests.
    matched = page.locator('#mappings li[data-matched="true"]')
    expect(matched).to_have_count(1)
    expect(matched).to_contain_text("Send every event")
    expect(matched).to_contain_text('"event": "Order Completed"')
    expect(page.locator("#exchange-count")).to_have_text("1 of 2")
    expect(page.locator("#exchange")).to_contain_text(f"POST {sink.url}/first")
    expect(page.locator("#exchange")).to_contain_text("HTTP 200")
    page.get_by_role("button", name="Next request").click()
    expect(page.locator("#exchange-count")).to_have_text("2 of 2")
    expect(page.locator("#exchange")).to_contain_text(f"POST {sink.url}/second")
    expect(page.locator("#exchange")).to_contain_text('"event": "Order Completed"')
    screenshot(page, "12-event-tester")

    # A built event, refused by the endpoint, shows the failure and the answer.
    sink.set_default(Reply(422, body="unknown event"))
    page.get_by_role("tab", name="Build an event").click()
    page.get_by_label("Event name").fill("Trial Started")
    page.get_by_role("button", name="Send test event").click()
    expect(page.locator("#outcome")).to_have_attribute("data-kind", "failed")
    expect(page.locator("#exchange")).to_contain_text("unknown event")
    assert '"Trial Started"' in sink.requests[-1].body.decode()

    # "Send to tester" from the debugger fills the tester with that event.
    page.goto(f"{live.url}/sources/{source['id']}/debugger")
    page.locator('.stream-row:has-text("Order Completed")').click()
    page.locator("#pane").get_by_role("tab", name=re.compile("Delivery")).click()
    expect(page.locator("#pane .trail")).to_contain_text("Delivered")
    page.get_by_role("button", name="Send to tester").click()
    expect(page.locator(".notice")).to_contain_text("Loaded event")
    expect(page.locator("#event-json")).to_contain_text('"revenue": 42.5')

    # Disable from the settings page.
    page.get_by_role("navigation", name="Destination").get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_contain_text("Destination disabled")
    screenshot(page, "13-destination-settings")
    page.goto(live.url + "/destinations")
    expect(page.get_by_role("row", name=re.compile("Growth webhook"))).to_contain_text("Disabled")
    screenshot(page, "14-destinations")


def test_form_errors_name_the_field(page: Page, live: RunningServer) -> None:
    page.goto(live.url + "/destinations/new/webhook")
    page.get_by_label("Webhook URLs").fill("ftp://example.com/hook")
    page.get_by_label("Custom headers").fill("not a header line")
    page.get_by_role("button", name="Create destination").click()
    expect(page.get_by_role("alert")).to_contain_text("Some settings need fixing")
    expect(page.locator(".field-error")).to_contain_text("Line 1 needs the form: name = value")
    page.get_by_label("Custom headers").fill("")
    page.get_by_role("button", name="Create destination").click()
    expect(page.locator(".field-error")).to_contain_text(
        "Line 1: must start with http:// or https://"
    )
    screenshot(page, "15-destination-form-error")


def test_the_login_page(browser: Browser, live: RunningServer) -> None:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    try:
        page = context.new_page()
        page.goto(live.url + "/destinations")
        expect(page).to_have_url(re.compile(r"/login\?next=/destinations$"))
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("do not match an account")
        screenshot(page, "16-login")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/destinations$"))
    finally:
        context.close()
