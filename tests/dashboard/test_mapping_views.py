"""A destination with two mappings, as an operator sees it: the event's delivery trail names
the mapping of each delivery, and the event-delivery page counts each mapping's deliveries.
And the admin API's connection test, against a fake vendor on loopback."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx

from tests.conftest import ADMIN_TOKEN
from tests.dashboard.conftest import Browserless
from tests.fakes.ga4 import API_SECRET, MEASUREMENT_ID, FakeGa4
from tests.fakes.sink import Sink
from tests.inprocess import InProcessApp


def test_trail_and_event_delivery_show_each_mapping(
    dash: InProcessApp, session_client: Browserless
) -> None:
    admin = dash.client(headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    source = admin.post("/api/v1/sources", json={"name": "web"}).json()
    with Sink() as sink:
        dest = admin.post(
            "/api/v1/destinations",
            json={"name": "hook", "type": "webhook", "settings": {"urls": [sink.url]},
                  "source_ids": [source["id"]]},
        ).json()  # fmt: skip
        base = f"/api/v1/destinations/{dest['id']}/mappings"
        presets = admin.get(base).json()
        assert [m["name"] for m in presets] == ["Send every event"]
        # Every event but pages, and order ids a second time, as their own small document.
        preset = f"{base}/{presets[0]['id']}"
        admin.patch(preset, json={"trigger": 'type != "page"'}).raise_for_status()
        admin.post(
            base,
            json={"name": "Orders", "action": "send", "trigger": 'event = "Order Completed"',
                  "mapping": {"data": {"id": {"@path": "$.properties.id"}}}},
        ).raise_for_status()  # fmt: skip
        batch = {
            "writeKey": source["write_key"],
            "batch": [
                {
                    "type": "track",
                    "event": "Order Completed",
                    "userId": "u",
                    "properties": {"id": 7},
                },
                {"type": "page", "name": "Home", "userId": "u"},
            ],
        }
        assert dash.client().post("/v1/batch", json=batch).status_code == 200
        deadline = time.monotonic() + 20
        while len(sink.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(sink.requests) == 2  # the track, twice; the page matched nothing
        assert {"id": 7} in [json.loads(r.body) for r in sink.requests]

    events = admin.get("/api/v1/events", params={"source_id": source["id"]}).json()["data"]
    order = next(e for e in events if e["type"] == "track")
    pane = session_client.http.get(f"/sources/{source['id']}/debugger/events/{order['id']}")
    assert pane.status_code == 200
    assert re.findall(r'data-testid="trail-mapping">([^<]+)<', pane.text) == [
        "Send every event (send)",
        "Orders (send)",
    ]
    page = session_client.http.get(f"/destinations/{dest['id']}/delivery")
    assert page.status_code == 200
    table = page.text.split('data-testid="by-mapping"', 1)[1].split("</table>", 1)[0]
    rows = [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    assert [row for row in rows if row] == [
        ["Send every event", "send", "1", "0", "0", "0"],
        ["Orders", "send", "1", "0", "0", "0"],
        ["No mapping", "", "0", "0", "0", "1"],
    ]


def test_test_connection_runs_the_destination_types_check(dash: InProcessApp) -> None:
    admin = dash.client(headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
    source = admin.post("/api/v1/sources", json={"name": "web"}).json()

    def create(**body: Any) -> httpx.Response:
        return admin.post("/api/v1/destinations", json={"source_ids": [source["id"]], **body})

    with FakeGa4() as ga4:
        settings = {"measurement_id": MEASUREMENT_ID, "api_secret": API_SECRET, "base_url": ga4.url}
        made = create(name="ga4", type="ga4", settings=settings)
        assert made.status_code == 201, made.text
        good = made.json()
        wrong = {**settings, "api_secret": "not-the-secret"}
        bad = create(name="ga4-bad", type="ga4", settings=wrong).json()

        passed = admin.post(f"/api/v1/destinations/{good['id']}/test-connection")
        failed = admin.post(f"/api/v1/destinations/{bad['id']}/test-connection")
    assert passed.status_code == 200, passed.text
    assert passed.json()["ok"] is True
    assert [e["url"].split("?")[0] for e in passed.json()["exchanges"]] == [
        f"{ga4.url}/debug/mp/collect"
    ]
    assert failed.status_code == 200
    answer = failed.json()
    assert (answer["ok"], answer["code"]) == (False, "invalid_authentication")
    assert "not-the-secret" not in failed.text
    webhook = create(name="hook2", type="webhook", settings={"urls": ["https://a.example/x"]})
    none = admin.post(f"/api/v1/destinations/{webhook.json()['id']}/test-connection")
    assert none.status_code == 400
    assert "no connection test" in none.text
