"""Settings stored by the release before the kit, and events to send with them: the requests
the adapter of that release sent for them are kept in `legacy_requests.json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from tests.fakes.pendo import INTEGRATION_KEY, TRACK_SECRET

FIXTURE: Final = Path(__file__).with_name("legacy_requests.json")

#: As the release before the kit stored them: the JSON dump of its settings model, every field
#: present. `api_base_url` is filled in with the fake's address when sending.
STORED_SETTINGS: Final[dict[str, dict[str, Any]]] = {
    "populated": {
        "integration_key": INTEGRATION_KEY,
        "track_event_secret": TRACK_SECRET,
        "region": "eu",
        "metadata_group": "custom",
        "api_base_url": None,
        "timeout_seconds": 5.0,
        "max_requests_per_second": 50,
        "max_concurrent_requests": 4,
    },
    "defaults": {
        "integration_key": INTEGRATION_KEY,
        "track_event_secret": TRACK_SECRET,
        "region": "us",
        "metadata_group": "agent",
        "api_base_url": None,
        "timeout_seconds": 10.0,
        "max_requests_per_second": None,
        "max_concurrent_requests": None,
    },
}

AT: Final = "2024-05-01T12:00:00.250Z"

EVENTS: Final[list[dict[str, Any]]] = [
    {
        "type": "identify",
        "messageId": "m-1",
        "userId": "u-1",
        "traits": {
            "email": "ada@example.com",
            "name": "Ada",
            "groupId": "acct-9",
            "address": {"city": "Paris", "geo": {"lat": 48.85, "lng": 2.35}},
            "tags": ["a", "b"],
            "vip": True,
            "score": 9.5,
            "nothing": None,
            "über": "ünïcode ✓",
            "empty": {},
        },
        "timestamp": AT,
    },
    {"type": "identify", "messageId": "m-2", "userId": 42, "traits": {}, "timestamp": AT},
    {
        "type": "identify",
        "messageId": "m-3",
        "userId": "u-3",
        "traits": {"accountId": "old", "plan": "pro", "groupId": 7},
        "timestamp": AT,
    },
    {"type": "identify", "messageId": "m-4", "userId": "u-4", "timestamp": AT},
    {
        "type": "group",
        "messageId": "m-5",
        "userId": "u-1",
        "groupId": "acct-1",
        "traits": {"name": "Initech", "employees": 120, "plan": {"tier": "gold", "seats": 30}},
        "timestamp": AT,
    },
    {"type": "group", "messageId": "m-6", "groupId": 1001, "timestamp": AT},
    {
        "type": "track",
        "messageId": "m-7",
        "userId": "u-1",
        "event": "Order Completed",
        "properties": {"total": 12.5, "items": [{"sku": "x-1", "qty": 2}], "note": "déjà vu"},
        "context": {
            "ip": "203.0.113.9",
            "userAgent": "Mozilla/5.0",
            "groupId": "acct-3",
            "page": {"url": "https://app.example.com/cart", "title": "Cart", "path": "/cart"},
            "library": {"name": "analytics.js", "version": "4.1.0"},
        },
        "timestamp": AT,
    },
    {
        "type": "track",
        "messageId": "m-8",
        "userId": "u-2",
        "event": "Signed Up",
        "properties": {"groupId": 42, "plan": "free"},
        "timestamp": "2024-05-01T12:00:00Z",
    },
    {
        "type": "track",
        "messageId": "m-9",
        "userId": "u-3",
        "event": "Viewed",
        "context": {"ip": "198.51.100.1", "userAgent": "", "page": {"url": "https://x.test/"}},
        "receivedAt": "2024-05-02T08:30:00.125Z",
    },
    {
        "type": "track",
        "messageId": "m-10",
        "userId": "u-4",
        "event": "Exported",
        "properties": {"format": "csv"},
        "context": {"groupId": "", "page": {"title": "Reports"}},
        "timestamp": "2024-05-01T14:00:00.123456+02:00",
    },
    {"type": "page", "messageId": "m-11", "userId": "u-1", "name": "Home", "timestamp": AT},
]
