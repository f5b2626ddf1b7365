"""The source debugger in Chromium: create a source, send with Segment's Python SDK, watch
events arrive live, filter, search, pause, open Pretty/Raw, see rejections; hostile text in
events renders as text. Also the schema pages over the same events."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from segment.analytics import Client

from tests.dashboard.conftest import screenshot
from tests.servers import RunningServer

pytestmark = pytest.mark.system

HOSTILE = "<script>window.__pwned = 1</script>"
LINK = "javascript:window.__pwned = 2"


def send(
    server: RunningServer, write_key: str, calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]
) -> None:
    """Send with the real SDK and wait until the server has answered (events stored)."""
    errors: list[Any] = []
    client = Client(
        write_key, host=server.url, max_retries=0, on_error=lambda e, b: errors.append(e)
    )
    for method, args, kwargs in calls:
        getattr(client, method)(*args, **kwargs)
    client.flush()
    client.join()
    assert errors == []


def create_source(page: Page, base_url: str, name: str) -> str:
    page.goto(base_url + "/sources")
    expect(page.get_by_role("heading", name="No sources yet")).to_be_visible()
    screenshot(page, "01-sources-empty")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Add source").click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()
    key = page.locator("#write-key-value").input_value()
    assert len(key) >= 20
    return key


def test_events_arrive_live_and_can_be_filtered_searched_and_inspected(
    page: Page, live: RunningServer
) -> None:
    key = create_source(page, live.url, "Website")
    # The setup snippets point the SDKs at this server.
    expect(page.locator("#code-browser")).to_contain_text(f"cdnURL: '{live.url}'")
    expect(page.locator("#code-browser")).to_contain_text(
        f"apiHost: '{live.url.removeprefix('http://')}/v1'"
    )
    page.get_by_role("tab", name="Python").click()
    expect(page.locator("#code-python")).to_contain_text(f"analytics.host = '{live.url}'")
    screenshot(page, "02-source-setup")

    page.get_by_role("navigation", name="Source").get_by_role("link", name="Debugger").click()
    expect(page.locator("#live-state")).to_contain_text("Live")
    expect(page.get_by_role("heading", name="Waiting for events")).to_be_visible()
    screenshot(page, "03-debugger-empty")

    send(
        live,
        key,
        [
            ("identify", ("ada",), {"traits": {"email": "ada@example.com"}, "message_id": "m-id"}),
            (
                "track",
                ("ada", "Order Completed"),
                {
                    "properties": {"revenue": 42.5, "note": HOSTILE, "link": LINK},
                    "message_id": "m-order",
                },
            ),
            ("page", ("ada",), {"name": "Pricing", "message_id": "m-page"}),
            (
                "track",
                (),
                {"anonymous_id": "anon-7", "event": "Signed Up", "message_id": "m-signup"},
            ),
            ("group", ("ada", ""), {"message_id": "m-bad-group"}),  # empty groupId: rejected
        ],
    )
    sent_at = time.monotonic()
    rows = page.locator("#stream .stream-row")
    # Live, without a reload, within 2 seconds of the server's answer.
    expect(rows).to_have_count(5, timeout=2000)
    assert time.monotonic() - sent_at < 2.5
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    expect(page.locator(".stream-row.is-rejected")).to_contain_text("groupId")

    # Filter by call type.
    page.get_by_label("Call type").select_option("identify")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ada")
    page.get_by_label("Call type").select_option("")
    expect(rows).to_have_count(5)

    # Search by anonymousId, then by messageId, then by part of an event name.
    search = page.get_by_label("Search")
    search.fill("anon-7")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Signed Up")
    search.fill("m-page")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Pricing")
    search.fill("order comp")
    expect(rows).to_have_count(1)
    search.fill("")
    expect(rows).to_have_count(5)

    # Pause holds new events back; resume shows them.
    page.get_by_role("button", name="Pause").click()
    send(live, key, [("track", ("bob", "Cart Viewed"), {"message_id": "m-cart"})])
    expect(page.locator("#paused-count")).to_have_text("1", timeout=2000)
    expect(rows).to_have_count(5)
    page.locator("#resume").click()
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text("Cart Viewed")

    # The event pane: Pretty, then Raw; hostile text stays text.
    page.locator('.stream-row:has-text("Order Completed")').click()
    pane = page.locator("#pane")
    expect(pane.get_by_test_id("pretty")).to_contain_text('analytics.track("Order Completed"')
    expect(pane.get_by_test_id("pretty")).to_contain_text(HOSTILE)
    pane.get_by_role("tab", name="Raw").click()
    raw = pane.get_by_test_id("raw")
    expect(raw).to_contain_text('"messageId": "m-order"')
    expect(raw).to_contain_text(LINK)
    assert page.evaluate("window.__pwned") is None
    assert pane.locator("script").count() == 0
    assert pane.locator("a[href^='javascript']").count() == 0
    pane.get_by_role("tab", name="Pretty").click()
    screenshot(page, "04-debugger-event")
    pane.get_by_role("tab", name=re.compile("Delivery")).click()
    expect(pane).to_contain_text("No destination is set up")

    # A rejected event says why.
    page.locator(".stream-row.is-rejected").click()
    expect(pane.get_by_role("alert")).to_contain_text("groupId")


def test_schema_counts_and_presence_match_what_was_sent(page: Page, live: RunningServer) -> None:
    key = create_source(page, live.url, "Shop")
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
        ("track", ("u1", "Order Completed"), {"properties": {"revenue": 10, "coupon": "X"}}),
        ("track", ("u2", "Order Completed"), {"properties": {"revenue": 20}}),
        ("track", ("u3", "Order Completed"), {"properties": {"revenue": 30}}),
        ("track", ("u4", "Order Completed"), {"properties": {"revenue": 40, "coupon": "Y"}}),
        ("identify", ("u1",), {"traits": {"email": "a@example.com"}}),
    ]
    send(live, key, calls)
    page.get_by_role("navigation", name="Source").get_by_role("link", name="Schema").click()
    order = page.get_by_role("row", name=re.compile("Order Completed"))
    # Rollups are written when events are routed, a moment after they are stored.
    deadline = time.monotonic() + 10
    while order.count() == 0 and time.monotonic() < deadline:
        page.reload()
    expect(order).to_contain_text("4")
    expect(page.get_by_role("row", name=re.compile("Identify"))).to_contain_text("1")
    expect(page.get_by_text("5 calls in the last 7 days")).to_be_visible()
    assert page.locator("svg.chart rect.bar").count() >= 1
    screenshot(page, "05-schema")
    page.get_by_role("link", name="Order Completed").click()
    expect(page.get_by_role("row", name=re.compile("revenue"))).to_contain_text("100%")
    expect(page.get_by_role("row", name=re.compile("coupon"))).to_contain_text("50%")
    screenshot(page, "06-schema-event")
    page.goto(live.url + "/sources")
    expect(page.get_by_role("row", name=re.compile("Shop"))).to_contain_text("5")
    screenshot(page, "00-sources")
