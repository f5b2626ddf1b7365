"""Hostile values from events and from a destination's answers render as text on the schema
and event-delivery pages (the debugger's own test covers its pane): nothing they carry runs."""

from __future__ import annotations

import time
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ADMIN_TOKEN
from tests.dashboard.test_debugger import send
from tests.fakes.sink import Reply, Sink
from tests.servers import RunningServer

pytestmark = pytest.mark.system

NAME = "<script>window.__pwned = 1</script>"
KEY = "<img src=x onerror=window.__pwned=2>"
LINK = "javascript:window.__pwned = 3"
ANSWER = "<script>window.__pwned = 4</script>"


def _not_run(page: Page) -> None:
    assert page.evaluate("window.__pwned") is None


def _reload_until(page: Page, text: str, seconds: float = 15) -> None:
    """Rollups and deliveries land asynchronously: reload until the page shows `text`."""
    deadline = time.monotonic() + seconds
    while text not in page.inner_text("main"):
        assert time.monotonic() < deadline, f"the page never showed {text!r}"
        time.sleep(0.3)
        page.reload()


def test_hostile_values_render_as_text_on_schema_and_delivery_pages(
    page: Page, live: RunningServer
) -> None:
    with (
        Sink(default=Reply(400, body=ANSWER)) as sink,
        httpx.Client(base_url=live.url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}) as api,
    ):
        source = api.post("/api/v1/sources", json={"name": "Website"}).json()
        destination = api.post(
            "/api/v1/destinations",
            json={
                "name": "Echo",
                "type": "webhook",
                "settings": {"urls": [sink.url]},
                "source_ids": [source["id"]],
            },
        ).json()
        send(
            live,
            source["write_key"],
            [("track", ("ada", NAME), {"properties": {KEY: LINK, "note": NAME}})],
        )
        sink.wait_for(1)

        page.goto(f"{live.url}/sources/{source['id']}/schema")
        _reload_until(page, NAME)
        _not_run(page)
        expect(page.locator("main")).to_contain_text(NAME)

        page.goto(f"{live.url}/sources/{source['id']}/schema/event?key={quote('track:' + NAME)}")
        _reload_until(page, KEY)
        _not_run(page)
        expect(page.locator("main")).to_contain_text(KEY)

        page.goto(f"{live.url}/destinations/{destination['id']}/delivery")
        issue = page.locator("details.issue")
        deadline = time.monotonic() + 15
        while issue.count() == 0:
            assert time.monotonic() < deadline, "the failed delivery never showed as an issue"
            time.sleep(0.3)
            page.reload()
        issue.first.locator("> summary").click()
        example = issue.first.locator(".example").first
        expect(example).to_contain_text(LINK)
        expect(example).to_contain_text(ANSWER)
        _not_run(page)
        # No element was made from the payloads: they are text, not markup.
        assert page.locator("main script, main img").count() == 0
