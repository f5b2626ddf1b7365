"""What the Marketo tests share: a harness on a fake Marketo, events, and an activity mapping."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from switchboard.integrations.base import CallLimiter
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import KitHarness
from switchboard.integrations.marketo import DESTINATION
from tests.fakes.marketo import CLIENT_ID, CLIENT_SECRET, FakeMarketo

ORDER_TYPE: Final = 100001

#: The lead mapping a new destination starts with.
LEAD_PRESET: Final = DESTINATION.preset_mappings()[0]


def order_mapping(**fields: Any) -> MappingSpec:
    """ "Order Completed" → the order activity: orderId, total and cart.items."""
    mapping: dict[str, Any] = {
        "activity_type_id": ORDER_TYPE,
        "primary_attribute_value": {"@path": "$.properties.orderId"},
        "attributes": {
            "orderTotal": {"@path": "$.properties.total"},
            "itemCount": {"@path": "$.properties.cart.items"},
        },
        "lookup_field": "email",
        "lookup_value": {"@path": "$.context.traits.email"},
        "activity_date": {"@path": "$.timestamp"},
        **fields,
    }
    return MappingSpec(
        "Order Completed",
        "send_custom_activity",
        'type = "track" and event = "Order Completed"',
        mapping,
    )


def harness_for(
    marketo: FakeMarketo,
    mappings: Sequence[MappingSpec] | None = None,
    limiter: CallLimiter | None = None,
    **settings: Any,
) -> KitHarness:
    """A harness on `marketo`: the lead preset and the order activity unless `mappings`."""
    values = {
        "base_url": marketo.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **settings,
    }
    chosen = list(mappings) if mappings is not None else [LEAD_PRESET, order_mapping()]
    return KitHarness(DESTINATION, values, mappings=chosen, limiter=limiter)


def lead_mapping(**mapping: Any) -> MappingSpec:
    """The lead preset with some of its fields replaced."""
    return MappingSpec(
        LEAD_PRESET.name,
        LEAD_PRESET.action,
        LEAD_PRESET.trigger,
        {**LEAD_PRESET.mapping, **mapping},
    )


def identify(email: str | None = "ada@example.com", **traits: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"email": email} if email else {}
    return {
        "type": "identify",
        "messageId": f"m-{email}",
        "userId": "u-1",
        "traits": {**base, **(traits or {"firstName": "Ada"})},
        "timestamp": "2024-05-01T12:00:00.000Z",
    }


def track(
    event: str = "Order Completed", email: str = "ada@example.com", **props: Any
) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m-{event}-{email}",
        "userId": "u-1",
        "event": event,
        "properties": props or {"orderId": "o-1", "total": 30.5, "cart": {"items": 2}},
        "context": {"traits": {"email": email}},
        "timestamp": "2024-05-01T12:00:00.250Z",
    }


def body_of(marketo: FakeMarketo, n: int) -> Any:
    """The JSON body of the `n`th REST call."""
    return json.loads(marketo.rest_requests[n].body)
