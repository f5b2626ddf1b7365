"""Segment's browser library (@segment/analytics-next), unmodified, in headless Chromium.

The page comes from a second loopback server on another origin (`localhost` against the API's
`127.0.0.1`), loads the library's UMD bundle from tests/sdk/node/node_modules, and calls
`AnalyticsBrowser.load({writeKey, cdnURL})` with nothing else: the library reads
`/v1/projects/{writeKey}/settings` from Switchboard and learns the API host from it. 1.84+
sends `Authorization` on every event, so each cross-origin POST below passes a CORS preflight.
A request to any other host is reported as an error.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, Response
from sqlalchemy import Engine

from tests.conftest import SourceRef
from tests.ingest.stored import stored_events
from tests.sdk.harness import node_package, one_backend
from tests.sdk.scenario import Report, Scenario, Wire, WireRequest, check_run, check_wire
from tests.servers import RunningServer

STANDARD = Wire(
    "analytics.js",
    frozenset({"/v1/i", "/v1/t", "/v1/p", "/v1/s", "/v1/g", "/v1/a"}),
    basic_auth=True,
    body_key=True,
)
BATCHING = Wire("analytics.js", frozenset({"/v1/b"}), basic_auth=True, body_key=True)
WIRES = {"standard": STANDARD, "batching": BATCHING}
_LOOPBACK = re.compile(r"^(http://(127\.0\.0\.1|localhost):\d+/|data:)")
#: How long the page may take to deliver the scenario (1,000 single POSTs in standard mode).
DELIVERY_DEADLINE = 45

_PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,">
<script src="/analytics-next.js"></script></head><body><h1>Shop</h1></body></html>"""

# The scenario, in the order a visitor makes it: browsing anonymously (the burst), signing
# up (alias before identify: analytics-next gives alias the current user's id once there is
# one), then buying. `batching` switches the library to /v1/b, as a site would.
_PLAY = """
async (plan) => {
  const options = plan.strategy === 'batching'
    ? {integrations: {'Segment.io': {deliveryStrategy:
        {strategy: 'batching', config: {size: 100, timeout: 500}}}}}
    : {}
  const play = async () => {
    const [analytics] = await AnalyticsNext.AnalyticsBrowser.load(
      {writeKey: plan.writeKey, cdnURL: plan.host}, options)
    analytics.setAnonymousId(plan.anonymousId)
    const burst = []
    for (let seq = 0; seq < plan.burst.count; seq++) {
      burst.push(analytics.track(plan.burst.event, {seq}))
    }
    await Promise.all(burst)
    await analytics.alias(plan.newUserId, plan.userId)
    await analytics.identify(plan.userId, plan.identify.traits)
    await analytics.track(plan.order.event, plan.order.properties,
                          {timestamp: plan.order.timestamp})
    await analytics.page(plan.page.category, plan.page.name, plan.page.properties)
    await analytics.screen(null, plan.screen.name, plan.screen.properties)
    await analytics.group(plan.groupId, plan.group.traits)
    return 'done'
  }
  // A call whose delivery keeps failing never resolves (the library retries for minutes).
  const deadline = new Promise((resolve) => setTimeout(() => resolve('timed out'), plan.deadlineMs))
  return await Promise.race([play(), deadline])
}
"""

# What a retry from the library's localStorage queue looks like: the same body again, with
# Authorization and X-Retry-Count (both force a preflight from this origin).
_REPLAY = """
async ([url, body, authorization]) => {
  const response = await fetch(url, {method: 'POST', body,
    headers: {'Content-Type': 'text/plain', 'Authorization': authorization,
              'X-Retry-Count': '1'}})
  return [response.status, await response.text()]
}
"""


class _PageHandler(http.server.BaseHTTPRequestHandler):
    bundle: Path

    def do_GET(self) -> None:
        if self.path == "/":
            body, kind = _PAGE, "text/html"
        elif self.path == "/analytics-next.js":
            body, kind = self.bundle.read_bytes(), "text/javascript"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """A site on another origin than the API, serving a page and the library's bundle."""
    package = node_package("@segment/analytics-next")
    handler = type("Handler", (_PageHandler,), {"bundle": package / "dist/umd/index.js"})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class _Watch:
    """Everything the page did on the network and in its console."""

    api: str
    posts: list[Request] = field(default_factory=list)
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    settings: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("requestfailed", lambda r: self.errors.append(f"failed {r.url}: {r.failure}"))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on(
            "console",
            lambda m: (
                self.logs.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
            ),
        )

    def _request(self, request: Request) -> None:
        if not _LOOPBACK.match(request.url):
            # A leak, e.g. telemetry or a bundle fetched from Segment's CDN.
            self.errors.append(f"left the machine: {request.url}")
        if request.method == "POST" and request.url.startswith(self.api + "/v1/"):
            self.posts.append(request)
            body = json.loads(request.post_data or "null")
            self.sent += len(body["batch"]) if "batch" in body else 1

    def _response(self, response: Response) -> None:
        if response.url.startswith(self.api + "/v1/projects/"):
            self.settings.append(response.status)
        elif response.request.method == "POST":
            self.statuses[id(response.request)] = response.status

    def report(self, library: dict[str, str]) -> Report:
        requests = []
        for post in self.posts:
            body = json.loads(post.post_data or "null")
            events = body.get("batch", [body])
            requests.append(
                WireRequest(
                    url=post.url,
                    status=self.statuses.get(id(post)),
                    headers=dict(post.headers),
                    bytes=len((post.post_data or "").encode()),
                    message_ids=[e["messageId"] for e in events],
                    body_write_key=body.get("writeKey"),
                )
            )
        return Report(library=library, requests=requests, errors=self.errors, logs=self.logs)


def _play(
    browser: Browser, origin: str, server: RunningServer, plan: dict[str, Any]
) -> tuple[Page, _Watch]:
    # No `context.route()` here: with request interception on, Playwright answers CORS
    # preflights itself, and the test would no longer see Switchboard's.
    context = browser.new_context()
    watch = _Watch(server.url)
    page = context.new_page()
    watch.attach(page)
    page.goto(origin + "/")
    outcome = page.evaluate(_PLAY, {**plan, "deadlineMs": DELIVERY_DEADLINE * 1000})
    assert outcome == "done", (outcome, watch.errors[:5], watch.logs[:5])
    return page, watch


def _wait_for(page: Page, predicate: Callable[[], bool], what: str) -> None:
    """Poll `predicate` with a deadline; the page's events arrive while Playwright waits."""
    deadline = time.monotonic() + DELIVERY_DEADLINE
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


@one_backend
@pytest.mark.system
@pytest.mark.parametrize("strategy", list(WIRES))
def test_every_call_is_stored_once_and_a_replay_adds_nothing(
    browser: Browser,
    page_origin: str,
    server: RunningServer,
    engine: Engine,
    source: SourceRef,
    strategy: str,
) -> None:
    wire = WIRES[strategy]
    package = node_package("@segment/analytics-next")
    version = json.loads((package / "package.json").read_text())["version"]
    scenario = Scenario()
    plan = scenario.plan(server.url, source.write_key, strategy=strategy)
    started = datetime.now(UTC)
    page, watch = _play(browser, page_origin, server, plan)
    expected = scenario.event_count(has_screen=True)
    # Batching mode posts after its timeout; standard mode is done when the calls resolve.
    _wait_for(
        page,
        lambda: watch.sent >= expected and len(watch.statuses) >= len(watch.posts),
        "the page's requests",
    )
    _wait_for(page, lambda: len(stored_events(engine)) >= expected, "the events to be stored")
    finished = datetime.now(UTC)

    assert watch.settings == [200]
    report = watch.report({"name": "analytics.js", "version": f"next-{version}"})
    check_wire(report, wire, source.write_key)
    events = check_run(engine, scenario, report, wire, started=started, finished=finished)
    order = next(e for e in events if e["event_name"] == "Order Completed")
    assert order["payload"]["context"]["page"]["url"] == page_origin + "/"
    assert order["payload"]["context"]["ip"] == "127.0.0.1"

    # A retried request (say, from the library's localStorage queue) stores nothing new.
    first = watch.posts[0]
    authorization = "Basic " + base64.b64encode(f"{source.write_key}:".encode()).decode()
    status, text = page.evaluate(_REPLAY, [first.url, first.post_data, authorization])
    assert (status, json.loads(text)) == (200, {"success": True})
    assert len(stored_events(engine)) == expected
    page.context.close()
