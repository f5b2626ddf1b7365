"""Sample events, one per Spec call, as Segment's tester "Load sample event" offers them: what
a mapping is checked against when no stored event is at hand."""

from __future__ import annotations

import copy
from typing import Any, Final

from switchboard.integrations.kit.triggers import Condition, Group, Trigger

_CONTEXT: Final[dict[str, Any]] = {
    "ip": "203.0.113.7",
    "locale": "en-US",
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15",
    "library": {"name": "analytics.js", "version": "next-1.70.0"},
    "page": {
        "path": "/pricing",
        "referrer": "https://www.example.com/",
        "title": "Pricing",
        "url": "https://www.example.com/pricing",
    },
    "traits": {"email": "peter@example.com", "name": "Peter Gibbons"},
}

_COMMON: Final[dict[str, Any]] = {
    "anonymousId": "507f191e810c19729de860ea",
    "userId": "user-1234",
    "messageId": "ajs-next-1701-sample",
    "timestamp": "2026-12-01T12:00:00.000Z",
    "receivedAt": "2026-12-01T12:00:00.120Z",
    "sentAt": "2026-12-01T12:00:00.050Z",
    "context": _CONTEXT,
    "integrations": {},
}

_BY_CALL: Final[dict[str, dict[str, Any]]] = {
    "track": {
        "event": "Order Completed",
        "properties": {
            "order_id": "50314b8e9bcf000000000000",
            "total": 27.5,
            "revenue": 25.0,
            "currency": "USD",
            "products": [
                {
                    "product_id": "507f1f77bcf86cd799439011",
                    "sku": "45790-32",
                    "price": 19.0,
                    "quantity": 1,
                    "name": "Monopoly: 3rd Edition",
                },
            ],
        },
    },
    "identify": {
        "traits": {
            "email": "peter@example.com",
            "firstName": "Peter",
            "lastName": "Gibbons",
            "name": "Peter Gibbons",
            "phone": "+1-555-0100",
            "title": "Software Engineer",
            "company": {"name": "Initech", "industry": "Technology"},
        },
    },
    "page": {
        "name": "Pricing",
        "properties": {
            "path": "/pricing",
            "title": "Pricing",
            "url": "https://www.example.com/pricing",
        },
    },
    "screen": {"name": "Home", "properties": {"variation": "blue signup button"}},
    "group": {
        "groupId": "group-0042",
        "traits": {"name": "Initech", "industry": "Technology", "employees": 420},
    },
    "alias": {"previousId": "507f191e810c19729de860ea"},
}


def sample_event(call_type: str = "track") -> dict[str, Any]:
    """A complete sample event of `call_type` (track when it is not a Spec call)."""
    specific = _BY_CALL.get(call_type, _BY_CALL["track"])
    event = copy.deepcopy({**_COMMON, **specific})
    event["type"] = call_type if call_type in _BY_CALL else "track"
    return event


def sample_for(trigger: Trigger) -> dict[str, Any]:
    """A sample event of the first call type `trigger` names (`type = "identify"`), with its
    event name when the trigger names one."""
    names = dict(_equalities(trigger.condition))
    event = sample_event(str(names.get("type", "track")))
    if event["type"] == "track" and isinstance(names.get("event"), str):
        event["event"] = names["event"]
    return event


_PARTS: Final = {"event-type": "type", "event": "event"}


def _equalities(node: Group | Condition) -> list[tuple[str, Any]]:
    if isinstance(node, Condition):
        part = _PARTS.get(node.type)
        if node.operator == "=" and part is not None:
            return [(part, node.value)]
        return []
    found: list[tuple[str, Any]] = []
    for child in node.children:
        found += _equalities(child)
    return found
