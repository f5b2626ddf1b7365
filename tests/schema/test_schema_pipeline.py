"""Events sent over HTTP show up in the schema with the counts and presence sent."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx

from switchboard.schema.rollups import MAX_PATHS_PER_CALL, MAX_PATHS_PER_EVENT_DAY
from tests.pipeline.conftest import Pipeline


def _orders() -> list[dict[str, Any]]:
    """10 Order Completed: total and currency in all, coupon in 4, product.{sku,price} in 5,
    context.traits.email in 3."""
    calls = []
    for i in range(10):
        properties: dict[str, Any] = {"total": 10 + i, "currency": "EUR"}
        if i < 4:
            properties["coupon"] = "WELCOME"
        if i % 2 == 0:
            properties["product"] = {"sku": f"sku-{i}", "price": 5}
        call: dict[str, Any] = {
            "type": "track",
            "event": "Order Completed",
            "userId": f"u{i}",
            "messageId": f"order-{i}",
            "properties": properties,
        }
        if i < 3:
            call["context"] = {"traits": {"email": f"u{i}@example.com"}}
        calls.append(call)
    return calls


def _others() -> list[dict[str, Any]]:
    identify = [
        {"type": "identify", "userId": f"u{i}", "messageId": f"id-{i}", "traits": traits}
        for i, traits in enumerate(
            [
                {"email": "a@example.com", "name": "A"},
                {"email": "b@example.com", "name": "B", "plan": "pro"},
                {"email": "c@example.com", "name": "C"},
            ]
        )
    ]
    pages = [
        {"type": "page", "anonymousId": f"a{i}", "messageId": f"page-{i}", "properties": p}
        for i, p in enumerate([{"path": "/"}, {"path": "/pricing", "referrer": "x"}])
    ]
    group = [
        {
            "type": "group",
            "userId": "u1",
            "groupId": "g1",
            "messageId": "group-0",
            "traits": {"industry": "retail"},
        }
    ]
    return [*identify, *pages, *group]


def _schema(pipeline: Pipeline, total: int, days: int = 7) -> dict[str, Any]:
    """The schema once it counts `total` calls (the route job runs just after ingest)."""
    deadline = time.monotonic() + 20
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = pipeline.admin.get(
            f"/api/v1/sources/{pipeline.source_id}/schema", params={"days": days}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if body["total"] >= total:
            return body
        time.sleep(0.1)
    raise AssertionError(f"schema counted {body.get('total')} calls, wanted {total}")


def _presence(event: dict[str, Any]) -> dict[tuple[str, str], tuple[int, float]]:
    return {(p["kind"], p["path"]): (p["calls"], p["percent"]) for p in event["properties"]}


def test_counts_and_presence_match_what_was_sent(pipeline: Pipeline) -> None:
    pipeline.send(*_orders(), *_others())
    schema = _schema(pipeline, 16)

    assert schema["total"] == 16
    assert len(schema["daily"]) == 7
    assert [d["calls"] for d in schema["daily"]] == [0] * 6 + [16]  # all of them today
    by_key = {e["key"]: e for e in schema["events"]}
    assert [(e["key"], e["calls"]) for e in schema["events"]] == [
        ("track:Order Completed", 10),
        ("identify", 3),
        ("page", 2),
        ("group", 1),
    ]
    order = by_key["track:Order Completed"]
    assert order["type"] == "track"
    assert order["name"] == "Order Completed"
    assert order["daily"][-1]["calls"] == 10
    assert _presence(order) == {
        ("properties", "total"): (10, 100.0),
        ("properties", "currency"): (10, 100.0),
        ("properties", "product"): (5, 50.0),
        ("properties", "product.sku"): (5, 50.0),
        ("properties", "product.price"): (5, 50.0),
        ("properties", "coupon"): (4, 40.0),
        ("context.traits", "email"): (3, 30.0),
    }
    # Ordered by kind, then the most present first.
    assert [p["path"] for p in order["properties"]][:2] == ["currency", "total"]
    identify = by_key["identify"]
    assert identify["name"] is None
    assert _presence(identify) == {
        ("traits", "email"): (3, 100.0),
        ("traits", "name"): (3, 100.0),
        ("traits", "plan"): (1, 33.33),
    }
    assert _presence(by_key["page"]) == {
        ("properties", "path"): (2, 100.0),
        ("properties", "referrer"): (1, 50.0),
    }
    assert _presence(by_key["group"]) == {("traits", "industry"): (1, 100.0)}

    # The same numbers from the narrower routes.
    source = f"/api/v1/sources/{pipeline.source_id}/schema"
    listed = pipeline.admin.get(f"{source}/events", params={"days": 30}).json()
    assert listed["total"] == 16
    assert (listed["events"][0]["key"], listed["events"][0]["calls"]) == (
        "track:Order Completed",
        10,
    )
    volume = pipeline.admin.get(f"{source}/volume", params={"days": 30}).json()
    assert len(volume["daily"]) == 30
    assert volume["total"] == 16
    detail = pipeline.admin.get(f"{source}/events/{quote('track:Order Completed')}").json()
    assert _presence(detail) == _presence(order)
    assert detail["capped"] is False

    # Sending the same messageIds again stores nothing, so nothing more is counted.
    pipeline.send(*_orders())
    pipeline.send({"type": "track", "event": "Later", "userId": "u", "messageId": "later"})
    again = _schema(pipeline, 17)
    assert again["total"] == 17
    assert {e["key"]: e["calls"] for e in again["events"]}["track:Order Completed"] == 10


def test_a_payload_with_thousands_of_keys_is_capped(pipeline: Pipeline) -> None:
    wide = {f"key{i}": {f"inner{j}": j for j in range(5)} for i in range(150)}
    pipeline.send(
        *[
            {
                "type": "track",
                "event": "Wide",
                "userId": "u",
                "messageId": f"wide-{n}",
                # A different set of keys per call, so the event has far more than the cap.
                "properties": {f"{n}-{k}": v for k, v in wide.items()},
            }
            for n in range(4)
        ]
    )
    schema = _schema(pipeline, 4)
    assert len(schema["events"]) == 1, schema
    event = schema["events"][0]
    paths = event["properties"]
    assert MAX_PATHS_PER_EVENT_DAY <= len(paths) <= MAX_PATHS_PER_EVENT_DAY + MAX_PATHS_PER_CALL
    assert event["capped"] is True
    assert all(p["calls"] == 1 and p["percent"] == 25.0 for p in paths)


def test_errors_name_the_problem(pipeline: Pipeline) -> None:
    source = f"/api/v1/sources/{pipeline.source_id}/schema"
    assert pipeline.admin.get("/api/v1/sources/999/schema").status_code == 404
    missing = pipeline.admin.get(f"{source}/events/{quote('track:Nope')}")
    assert missing.status_code == 404
    assert "track:Nope" in missing.json()["detail"]
    for days in ("0", "91", "x"):
        bad = pipeline.admin.get(source, params={"days": days})
        assert bad.status_code == 422
        assert bad.json()["detail"][0]["loc"] == ["query", "days"]
    anonymous = httpx.get(pipeline.server.url + source, timeout=10)
    assert anonymous.status_code == 401
