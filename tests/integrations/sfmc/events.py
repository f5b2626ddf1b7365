"""The events and mappings the Marketing Cloud tests send."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import KitHarness
from tests.fakes.sfmc import DATA_EXTENSION, EVENT_DEFINITION

SIGNUP_KEY = "APIEvent-signup-2"
USER_ID = {"@path": "$.userId"}

#: identify → a journey entry with the traits as data.
IDENTIFY_JOURNEY = MappingSpec(
    "Identify calls to a journey",
    "send_event_to_journey",
    'type = "identify"',
    {
        "contact_key": USER_ID,
        "event_definition_key": EVENT_DEFINITION,
        "data": {"@path": "$.traits"},
    },
)
#: "Signed Up" → its journey, with the properties as data.
SIGNUP_JOURNEY = MappingSpec(
    "Signed Up to a journey",
    "send_event_to_journey",
    'type = "track" and event = "Signed Up"',
    {"contact_key": USER_ID, "event_definition_key": SIGNUP_KEY, "data": {"@path": "$.properties"}},
)
#: identify → a row keyed by the userId, with the traits as values.
IDENTIFY_ROW = MappingSpec(
    "Identify calls to a data extension",
    "upsert_data_extension_row",
    'type = "identify"',
    {"key": DATA_EXTENSION, "keys": {"ContactKey": USER_ID}, "values": {"@path": "$.traits"}},
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


#: The `harness` fixture: `harness(mappings=…, fake=…, **settings)`.
Harness = Callable[..., KitHarness]


def identify(user: str = "u-1", **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": f"m-{user}",
        "userId": user,
        "traits": traits or {"email": "ada@example.com", "plan": "pro"},
    }


def track(n: int = 1, event: str = "Signed Up", **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m-{n}",
        "userId": "u-1",
        "event": event,
        "properties": {"plan": "pro", "seats": n, "address": {"city": "Paris"}},
        **extra,
    }
