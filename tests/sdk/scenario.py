"""One scenario every SDK plays, and the checks that what it sent was stored exactly once.

A driver (a Python or Node program, or the page in Chromium) receives `Scenario.plan()` as
JSON, makes each call with its SDK's own API, and answers with a `Report`: every HTTP request
the SDK made (as the SDK's own hooks or the runtime saw it), with the messageIds it carried
and the status it got back, and anything the SDK logged or reported as an error.
`check_run` then reads the database and compares.
"""

from __future__ import annotations

import base64
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from tests.ingest.stored import stored_events, stored_rejections

ORDER_EVENT = "Order Completed"
BURST_EVENT = "Product Viewed"
LARGE_EVENT = "Catalog Synced"
#: The order's client-side time: far enough in the past that a skew fix would show.
ORDER_TIME = datetime(2026, 3, 1, 8, 30, 15, 250_000, tzinfo=UTC)
ORDER_PROPERTIES: dict[str, Any] = {
    "order_id": "50314b8e9bcf000000000000",
    "affiliation": "Google Store",
    "total": 27.5,
    "revenue": 25.0,
    "currency": "USD",
    "coupon": "hasbros",
    "products": [
        {
            "product_id": "507f1f77bcf86cd799439011",
            "sku": "45790-32",
            "name": "Monopoly: 3rd Edition",
            "price": 19,
            "quantity": 1,
            "category": "Games",
        },
        {
            "product_id": "505bd76785ebb509fc183733",
            "sku": "46493-32",
            "name": "Uno Card Game",
            "price": 3,
            "quantity": 2,
            "category": "Games",
        },
    ],
}
IDENTIFY_TRAITS: dict[str, Any] = {
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "plan": "pro",
}
PAGE_PROPERTIES: dict[str, Any] = {"title": "Pricing", "section": "plans"}
SCREEN_PROPERTIES: dict[str, Any] = {"tab": "home"}
GROUP_TRAITS: dict[str, Any] = {"name": "Acme Inc", "employees": 120}


@dataclass(frozen=True)
class Scenario:
    """The calls one run makes; `message_id_prefix` fixes each call's messageId."""

    burst: int = 1000
    large: int = 0
    large_bytes: int = 28_000
    message_id_prefix: str | None = None
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def user_id(self) -> str:
        return f"user-{self.run}"

    @property
    def new_user_id(self) -> str:
        return f"user-{self.run}-renamed"

    @property
    def anonymous_id(self) -> str:
        return f"anon-{self.run}"

    @property
    def group_id(self) -> str:
        return f"group-{self.run}"

    def plan(self, host: str, write_key: str, **extra: Any) -> dict[str, Any]:
        """What a driver reads: ids, call arguments, and the SDK-specific `extra` options."""
        return {
            "host": host,
            "writeKey": write_key,
            "userId": self.user_id,
            "newUserId": self.new_user_id,
            "anonymousId": self.anonymous_id,
            "groupId": self.group_id,
            "messageIdPrefix": self.message_id_prefix,
            "identify": {"traits": IDENTIFY_TRAITS},
            "order": {
                "event": ORDER_EVENT,
                "properties": ORDER_PROPERTIES,
                "timestamp": ORDER_TIME.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            },
            "page": {"category": "Docs", "name": "Pricing", "properties": PAGE_PROPERTIES},
            "screen": {"name": "Home", "properties": SCREEN_PROPERTIES},
            "group": {"traits": GROUP_TRAITS},
            "burst": {"event": BURST_EVENT, "count": self.burst},
            "large": {"event": LARGE_EVENT, "count": self.large, "bytes": self.large_bytes},
            **extra,
        }

    def event_count(self, *, has_screen: bool) -> int:
        return 5 + int(has_screen) + self.burst + self.large


@dataclass(frozen=True)
class WireRequest:
    url: str
    status: int | None
    headers: dict[str, str]
    bytes: int
    message_ids: list[str]
    body_write_key: str | None


@dataclass(frozen=True)
class Report:
    """What a driver saw its SDK do."""

    library: dict[str, str]
    requests: list[WireRequest]
    errors: list[str]
    logs: list[str]
    closed: bool = True

    @classmethod
    def parse(cls, document: dict[str, Any]) -> Report:
        return cls(
            library=document["library"],
            requests=[
                WireRequest(
                    url=r["url"],
                    status=r["status"],
                    headers={k.lower(): str(v) for k, v in r["headers"].items()},
                    bytes=r["bytes"],
                    message_ids=r["messageIds"],
                    body_write_key=r.get("bodyWriteKey"),
                )
                for r in document["requests"]
            ],
            errors=document["errors"],
            logs=document["logs"],
            closed=document.get("closed", True),
        )

    def message_ids(self) -> list[str]:
        return [mid for request in self.requests for mid in request.message_ids]


@dataclass(frozen=True)
class Wire:
    """How an SDK version talks to the tracking API (segment-api.md §1.2)."""

    library: str
    paths: frozenset[str]
    basic_auth: bool
    body_key: bool
    gzip: bool = False
    has_screen: bool = True


def check_wire(report: Report, wire: Wire, write_key: str) -> None:
    """The SDK answered every request with success, retried nothing and logged nothing."""
    assert report.library["name"] == wire.library
    assert report.errors == []
    assert report.logs == []
    assert report.closed
    assert report.requests, "the SDK sent nothing"
    basic = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    for request in report.requests:
        assert request.status == 200, request
        assert "x-retry-count" not in request.headers, request
        path = "/" + request.url.split("/", 3)[3].split("?")[0]
        assert path in wire.paths, request.url
        assert request.headers.get("authorization") == (basic if wire.basic_auth else None)
        assert request.body_write_key == (write_key if wire.body_key else None)
        assert (request.headers.get("content-encoding") == "gzip") is wire.gzip
    sent = Counter(report.message_ids())
    assert [mid for mid, n in sent.items() if n > 1] == [], "a message was sent twice (a retry)"


def _subset(actual: Any, expected: dict[str, Any]) -> None:
    assert isinstance(actual, dict), actual
    assert {k: actual.get(k) for k in expected} == expected


def check_run(
    engine: Engine,
    scenario: Scenario,
    report: Report,
    wire: Wire,
    *,
    started: datetime,
    finished: datetime,
) -> list[dict[str, Any]]:
    """Every message on the wire is stored once, with the fields the scenario gave it."""
    assert stored_rejections(engine) == []
    events = stored_events(engine)
    sent = report.message_ids()
    assert sorted(e["message_id"] for e in events) == sorted(sent)
    assert len(events) == scenario.event_count(has_screen=wire.has_screen)

    def one(kind: str, name: str | None = None) -> dict[str, Any]:
        found = [e for e in events if e["type"] == kind and e["event_name"] == name]
        assert len(found) == 1, (kind, name, len(found))
        return found[0]

    identify = one("identify")
    assert identify["user_id"] == scenario.user_id
    _subset(identify["payload"]["traits"], IDENTIFY_TRAITS)

    order = one("track", ORDER_EVENT)
    assert order["user_id"] == scenario.user_id
    _subset(order["payload"]["properties"], ORDER_PROPERTIES)
    assert order["original_timestamp"] == ORDER_TIME

    page = one("page", "Pricing")
    assert page["user_id"] == scenario.user_id
    assert page["payload"]["category"] == "Docs"
    _subset(page["payload"]["properties"], PAGE_PROPERTIES)
    if wire.has_screen:
        screen = one("screen", "Home")
        assert screen["user_id"] == scenario.user_id
        _subset(screen["payload"]["properties"], SCREEN_PROPERTIES)

    group = one("group")
    assert group["user_id"] == scenario.user_id
    assert group["payload"]["groupId"] == scenario.group_id
    _subset(group["payload"]["traits"], GROUP_TRAITS)

    alias = one("alias")
    assert alias["user_id"] == scenario.new_user_id
    assert alias["payload"]["previousId"] == scenario.user_id

    burst = [e for e in events if e["event_name"] == BURST_EVENT]
    assert sorted(e["payload"]["properties"]["seq"] for e in burst) == list(range(scenario.burst))
    assert {(e["type"], e["user_id"], e["anonymous_id"]) for e in burst} <= {
        ("track", None, scenario.anonymous_id)
    }
    large = [e for e in events if e["event_name"] == LARGE_EVENT]
    assert sorted(e["payload"]["properties"]["seq"] for e in large) == list(range(scenario.large))

    window = (started - timedelta(seconds=1), finished + timedelta(seconds=1))
    for event in events:
        assert event["payload"]["context"]["library"] == report.library, event["payload"]
        assert "writeKey" not in event["payload"]
        assert window[0] <= event["received_at"] <= window[1]
        if event is not order:
            assert window[0] <= event["original_timestamp"] <= window[1]
        # Segment's clock-skew fix: timestamp = receivedAt - (sentAt - originalTimestamp).
        # (A browser's queued request makes receivedAt - sentAt seconds, not milliseconds.)
        assert event["sent_at"] is not None
        skew = (event["received_at"] - event["sent_at"]) - (
            event["timestamp"] - event["original_timestamp"]
        )
        assert abs(skew) <= timedelta(milliseconds=2), (skew, event["message_id"])
    return events
