"""Mappings of the GA4 actions, and Segment events to send through them."""

from __future__ import annotations

from typing import Any

from switchboard.integrations.ga4 import DESTINATION
from switchboard.integrations.kit.definition import MappingSpec

#: 2024-05-01T12:00:00.250Z in microseconds.
STAMP = 1_714_564_800_250_000


def mapping(action_id: str, **changes: Any) -> MappingSpec:
    """`action_id` with its default trigger and field defaults, `changes` on top."""
    action = DESTINATION.action(action_id)
    assert action is not None
    defaults = {name: f.default for name, f in action.fields.items() if f.default is not None}
    return MappingSpec(action.title, action_id, action.default_trigger, {**defaults, **changes})


def track(event: str = "Signed Up", anonymous: str = "anon-1", **properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "anonymousId": anonymous,
        "userId": "u-1",
        "properties": properties or {"plan": "pro", "seats": 3},
        "timestamp": "2024-05-01T12:00:00.250Z",
    }


def page(**context_page: Any) -> dict[str, Any]:
    return {
        "type": "page",
        "name": "Pricing",
        "anonymousId": "anon-1",
        "properties": {"url": "https://example.com/pricing"},
        "context": {
            "page": context_page
            or {
                "url": "https://example.com/pricing",
                "title": "Pricing",
                "referrer": "https://example.com/",
            }
        },
        "timestamp": "2024-05-01T12:00:00.250Z",
    }


def order_completed(**properties: Any) -> dict[str, Any]:
    return track(
        "Order Completed",
        **(
            properties
            or {
                "order_id": "o-9",
                "total": 30.5,
                "currency": "eur",
                "coupon": "SPRING",
                "tax": 2.5,
                "products": [
                    {"product_id": "p-1", "name": "Mug", "price": 10, "quantity": "2"},
                    {"product_id": "p-2", "name": "Tee", "price": 10.5, "position": 1},
                ],
            }
        ),
    )
