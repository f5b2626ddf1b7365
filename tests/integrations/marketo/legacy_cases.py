"""Settings as the release before the kit stored them, and the sends whose request bodies the
adapter of that release recorded in `legacy_bodies.json` (against `tests/fakes/marketo.py`).

Each send holds identify events first and track events of one custom activity: the only order
in which today's calls (leads, then lookups, then activities) and the kit's (one action batch
after another) are the same calls.
"""

from __future__ import annotations

from typing import Any, Final

from tests.fakes.marketo import CLIENT_ID, CLIENT_SECRET, STANDARD_FIELDS

ORDER_TYPE: Final = 100001
PRICING_TYPE: Final = 100002

#: Lead fields and activity types the fake knows for these sends.
LEAD_FIELDS: Final = STANDARD_FIELDS | {"accountTier", "seats"}
ACTIVITY_TYPES: Final = {
    ORDER_TYPE: frozenset({"coupons", "itemCount", "orderTotal", "shipping"}),
    PRICING_TYPE: frozenset({"annual", "referrer"}),
}

#: The settings of a populated destination, as stored (the base URL is the fake's).
LEGACY_SETTINGS: Final[dict[str, Any]] = {
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "lookup_field": "email",
    "trait_mapping": {
        "workEmail": "email",
        "plan": "accountTier",
        "seats": "seats",
        "userId": "userId",
    },
    "activities": {
        "Order Completed": {
            "activity_type_id": ORDER_TYPE,
            "primary_property": "orderId",
            "attributes": {
                "coupons": "coupons",
                "cart.items": "itemCount",
                "total": "orderTotal",
                "shipping": "shipping",
            },
        },
        "Viewed Pricing": {
            "activity_type_id": PRICING_TYPE,
            "primary_property": "page.name",
            "attributes": {"annual": "annual", "referrer": "referrer"},
        },
    },
    "timeout_seconds": 30.0,
    "calls_per_window": 100,
    "window_seconds": 20.0,
    "max_concurrent_calls": 10,
}


def _identify(user: str, **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": f"i-{user}",
        "userId": user,
        "traits": traits,
        "timestamp": "2024-05-01T12:00:00.000Z",
    }


def _track(event: str, email: str, properties: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"t-{event}-{email}",
        "userId": f"u-{email.split('@')[0]}",
        "event": event,
        "properties": properties,
        "context": {"traits": {"email": email}},
        "timestamp": "2024-05-01T12:00:00.250Z",
        **more,
    }


SENDS: Final[list[list[dict[str, Any]]]] = [
    [
        _identify(
            "u-ada",
            email="ada@example.com",
            firstName="Ada",
            lastName="Lovelace",
            birthday="1815-12-10",
            website="https://ada.example",
            address={"street": "12 St James's Sq", "city": "London", "postalCode": "SW1Y"},
            plan="pro",
            seats=12,
            nested={"ignored": True},
            empty="",
        ),
        _identify(
            "u-bob",
            email="bob@old.example",
            workEmail="bob@example.com",
            company="Analytical Engines",
            title="Engineer",
            phone="+44 20 7946 0000",
        ),
        _track(
            "Order Completed",
            "ada@example.com",
            {
                "orderId": "o-1",
                "total": 30.5,
                "cart": {"items": 2},
                "coupons": ["SPRING", "VIP"],
                "shipping": {"method": "air", "days": 2},
            },
        ),
        _track("Order Completed", "carol@example.com", {"orderId": 42, "total": 7}),
        _track("Order Completed", "ada@example.com", {"orderId": "o-2", "total": "12.00"}),
    ],
    [
        _track(
            "Viewed Pricing",
            "dave@example.com",
            {"page": {"name": "Pricing"}, "annual": True, "referrer": ""},
        ),
        {
            **_track("Viewed Pricing", "erin@example.com", {"page": {"name": "Plans"}}),
            "timestamp": None,
            "receivedAt": "2024-05-02T08:30:00Z",
        },
    ],
]
