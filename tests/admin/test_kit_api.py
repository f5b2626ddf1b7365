"""POST /api/v1/mapping-kit/evaluate and /api/v1/subscriptions/evaluate: the kit's languages
on one event, behind the admin token; invalid input is a 400 that says where it is wrong."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

EVENT: dict[str, Any] = {
    "type": "track",
    "event": "Order Completed",
    "userId": "u1",
    "properties": {"revenue": 42.5, "products": [{"sku": "a"}, {"sku": "b"}]},
    "context": {"traits": {"email": "ada@example.com"}},
}


def test_both_endpoints_require_the_admin_token(client: httpx.Client) -> None:
    for path, body in (
        ("/api/v1/mapping-kit/evaluate", {"mapping": {}, "event": {}}),
        ("/api/v1/subscriptions/evaluate", {"subscribe": 'type = "track"', "event": {}}),
    ):
        for headers in ({}, {"authorization": "Bearer wrong"}):
            assert client.post(path, json=body, headers=headers).status_code == 401


def test_a_mapping_is_evaluated_on_the_event(admin: httpx.Client) -> None:
    mapping = {
        "email": {"@path": "$.context.traits.email"},
        "order": {"@template": "{{event}} by {{userId}}"},
        "skus": {"@arrayPath": ["$.properties.products", {"sku": {"@path": "$.sku"}}]},
        "coupon": {"@path": "$.properties.coupon"},  # undefined: left out of the result
        "source": "switchboard",
    }
    answer = admin.post("/api/v1/mapping-kit/evaluate", json={"mapping": mapping, "event": EVENT})
    assert answer.status_code == 200
    assert answer.json() == {
        "result": {
            "email": "ada@example.com",
            "order": "Order Completed by u1",
            "skus": [{"sku": "a"}, {"sku": "b"}],
            "source": "switchboard",
        }
    }


def test_an_invalid_mapping_is_refused_naming_where(admin: httpx.Client) -> None:
    mapping = {"email": {"@if": {"exists": {"@path": "$.email"}, "then": {"@oops": 1}}}}
    answer = admin.post("/api/v1/mapping-kit/evaluate", json={"mapping": mapping, "event": EVENT})
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False
    assert [e["location"] for e in body["errors"]] == ["/email/@if/then"]
    assert "@oops" in body["errors"][0]["message"]


def test_a_mapping_invalid_for_this_event_is_refused_when_evaluated(admin: httpx.Client) -> None:
    mapping = {"data": {"@json": {"mode": "decode", "value": {"@path": "$.properties.raw"}}}}
    fine = admin.post(
        "/api/v1/mapping-kit/evaluate",
        json={"mapping": mapping, "event": {"properties": {"raw": '{"a": 1}'}}},
    )
    assert fine.json() == {"result": {"data": {"a": 1}}}
    broken = admin.post(
        "/api/v1/mapping-kit/evaluate",
        json={"mapping": mapping, "event": {"properties": {"raw": "{not json"}}},
    )
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["location"].startswith("/data")


@pytest.mark.parametrize(
    ("subscribe", "matches"),
    [
        ('type = "track"', True),
        ('type = "track" and event = "Order Completed"', True),
        ('type = "identify" or event = "Order Completed"', True),
        ('event = "Order*"', False),  # `=` is exact; prefixes take match()
        ('match(event, "Order*")', True),
        ('!match(event, "*Viewed")', True),
        ('contains(event, "Comp")', True),
        ("properties.revenue > 40", True),
        ("properties.revenue <= 40", False),
        ("context.traits.email != null", True),
        ("properties.coupon != null", False),
        ('type = "track" and (userId = "u2" or userId = "u1")', True),
    ],
)
def test_a_trigger_is_evaluated_on_the_event(
    admin: httpx.Client, subscribe: str, matches: bool
) -> None:
    answer = admin.post(
        "/api/v1/subscriptions/evaluate", json={"subscribe": subscribe, "event": EVENT}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"matches": matches}


def test_a_trigger_that_does_not_parse_is_refused_naming_the_position(
    admin: httpx.Client,
) -> None:
    answer = admin.post(
        "/api/v1/subscriptions/evaluate",
        json={"subscribe": 'type = "track" and (event = "b"', "event": EVENT},
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "success": False,
        "errors": [{"message": "unclosed parenthesis at position 19", "position": 19}],
    }


def test_bodies_of_the_wrong_shape_are_a_4xx_not_a_5xx(admin: httpx.Client) -> None:
    for path, body in (
        ("/api/v1/mapping-kit/evaluate", {"mapping": [], "event": {}}),
        ("/api/v1/mapping-kit/evaluate", {"event": {}}),
        ("/api/v1/subscriptions/evaluate", {"subscribe": 3, "event": {}}),
        ("/api/v1/subscriptions/evaluate", {"subscribe": "x" * 20_000, "event": {}}),
    ):
        assert 400 <= admin.post(path, json=body).status_code < 500
