"""The integrations-object matrix and destination filters, on the pure planner."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard.deliveries.status import Status
from switchboard.routing.plan import Filters, Target, plan

ALL_CALLS = frozenset({"identify", "track", "page", "screen", "group", "alias"})
HOOK = Target(1, "Orders hook", "Webhooks", ALL_CALLS)
MARKETO = Target(2, "Marketo prod", "Marketo V2", frozenset({"identify", "track", "page"}))


def statuses(event: dict[str, Any], *targets: Target) -> list[str]:
    return [d.status for d in plan(event, targets or (HOOK, MARKETO))]


@pytest.mark.parametrize(
    ("integrations", "expected"),
    [
        (None, [Status.PENDING, Status.PENDING]),
        ({}, [Status.PENDING, Status.PENDING]),
        ({"All": True}, [Status.PENDING, Status.PENDING]),
        ({"All": False}, [Status.SKIPPED, Status.SKIPPED]),
        ({"All": False, "Webhooks": True}, [Status.PENDING, Status.SKIPPED]),
        ({"All": False, "Orders hook": True}, [Status.PENDING, Status.SKIPPED]),
        ({"Marketo V2": False}, [Status.PENDING, Status.SKIPPED]),
        ({"Marketo prod": False}, [Status.PENDING, Status.SKIPPED]),
        ({"All": False, "Marketo V2": {"campaign": 7}}, [Status.SKIPPED, Status.PENDING]),
        ({"All": False, "Segment.io": True}, [Status.SKIPPED, Status.SKIPPED]),
        ({"Segment.io": False}, [Status.PENDING, Status.PENDING]),
        ({"webhooks": False}, [Status.PENDING, Status.PENDING]),  # names are case-sensitive
        (
            {"Orders hook": False, "Webhooks": True},
            [Status.SKIPPED, Status.PENDING],
        ),  # own name first
    ],
)
def test_integrations_object(integrations: dict[str, Any] | None, expected: list[str]) -> None:
    event: dict[str, Any] = {"type": "track", "event": "E"}
    if integrations is not None:
        event["integrations"] = integrations
    assert statuses(event) == expected


def test_object_value_carries_options_and_reasons_say_why() -> None:
    event = {
        "type": "identify",
        "integrations": {"All": False, "Marketo V2": {"campaign": 7}},
    }
    hook, marketo = plan(event, (HOOK, MARKETO))
    assert marketo.options == {"campaign": 7}
    assert hook.reason is not None
    assert "All is false" in hook.reason


def test_unsupported_call_is_recorded_with_the_reason() -> None:
    [decision] = plan({"type": "alias", "userId": "u", "previousId": "p"}, (MARKETO,))
    assert decision.status == Status.UNSUPPORTED
    assert decision.reason == "Marketo V2 does not support alias calls"


@pytest.mark.parametrize(
    ("filters", "event", "expected"),
    [
        ({"allow_types": ["track"]}, {"type": "identify"}, Status.FILTERED),
        ({"allow_types": ["track"]}, {"type": "track", "event": "A"}, Status.PENDING),
        ({"deny_types": ["page"]}, {"type": "page"}, Status.FILTERED),
        (
            {"allow_events": ["Order Completed"]},
            {"type": "track", "event": "Other"},
            Status.FILTERED,
        ),
        (
            {"allow_events": ["Order Completed"]},
            {"type": "track", "event": "Order Completed"},
            Status.PENDING,
        ),
        ({"allow_events": ["Order Completed"]}, {"type": "identify"}, Status.PENDING),
        ({"deny_events": ["Noise"]}, {"type": "track", "event": "Noise"}, Status.FILTERED),
        (
            {"allow_types": ["track"], "deny_events": ["Noise"]},
            {"type": "track", "event": "X"},
            Status.PENDING,
        ),
    ],
)
def test_filters(filters: dict[str, Any], event: dict[str, Any], expected: str) -> None:
    target = Target(3, "Filtered", "Webhooks", ALL_CALLS, Filters.from_dict(filters))
    [decision] = plan(event, (target,))
    assert decision.status == expected
    if expected == Status.FILTERED:
        assert decision.reason is not None
        assert decision.reason.startswith("filter:")
