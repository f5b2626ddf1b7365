"""Micro-benchmark of the mapping language: `python -m bench.mapping [--events N --repeats R]`.

Evaluates a typical field mapping (eight fields: five `@path`, a `@template`, an `@if` and a
raw value) on a realistic track event, and times a plain function building the same dict
by hand in the same run, so the figure can be read against the machine. Prints the median
microseconds per event over the repeats, and a trigger match for scale. Issue 13 asks for
no more than ~20 µs per event for such a mapping.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any, Final

from switchboard.integrations.kit.mapping import compile_mapping
from switchboard.integrations.kit.triggers import parse_trigger

TARGET_US: Final = 20.0
"""Issue 13's budget for a typical mapping, per event."""

MAPPING: Final = {
    "email": {"@path": "$.traits.email"},
    "user_id": {"@path": "$.userId"},
    "event_name": {"@path": "$.event"},
    "revenue": {"@path": "$.properties.revenue"},
    "sku": {"@path": "$.properties.products[0].sku"},
    "title": {"@template": "{{event}} by {{traits.name}}"},
    "plan": {
        "@if": {
            "exists": {"@path": "$.traits.plan"},
            "then": {"@path": "$.traits.plan"},
            "else": "free",
        }
    },
    "source": "switchboard",
}

TRIGGER: Final = 'type = "track" and (event = "Order Completed" or event = "Order Refunded")'

EVENT: Final = {
    "type": "track",
    "event": "Order Completed",
    "userId": "user-1234",
    "anonymousId": "anon-5678",
    "messageId": "msg-0001",
    "timestamp": "2026-12-02T04:00:00.000Z",
    "properties": {
        "order_id": "o-42",
        "revenue": 31.5,
        "currency": "EUR",
        "products": [{"sku": "SKU-1", "price": 10.5, "quantity": 3}],
    },
    "traits": {"email": "ann@example.com", "name": "Ann", "plan": "pro"},
    "context": {"ip": "203.0.113.9", "library": {"name": "analytics.js", "version": "2.11.1"}},
}


def _by_hand(event: dict[str, Any]) -> dict[str, Any]:
    """What the mapping does, written out: the same lookups and the same result."""
    out: dict[str, Any] = {}
    traits = event.get("traits") or {}
    properties = event.get("properties") or {}
    if "email" in traits:
        out["email"] = traits["email"]
    if "userId" in event:
        out["user_id"] = event["userId"]
    if "event" in event:
        out["event_name"] = event["event"]
    if "revenue" in properties:
        out["revenue"] = properties["revenue"]
    products = properties.get("products") or []
    if products and "sku" in products[0]:
        out["sku"] = products[0]["sku"]
    out["title"] = f"{event.get('event', '')} by {traits.get('name', '')}"
    plan = traits.get("plan")
    out["plan"] = plan if plan is not None else "free"
    out["source"] = "switchboard"
    return out


def _median_us(
    function: Callable[[dict[str, Any]], object], events: int, repeats: int
) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter_ns()
        for _ in range(events):
            function(EVENT)
        runs.append((time.perf_counter_ns() - start) / events / 1000)
    return statistics.median(runs), runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mapping", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per repeat")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (median reported)")
    args = parser.parse_args(argv)

    compiled = compile_mapping(MAPPING)
    trigger = parse_trigger(TRIGGER)
    if compiled.evaluate(EVENT) != _by_hand(EVENT):
        raise SystemExit("the mapping and the hand-written baseline disagree")
    for function in (compiled.evaluate, _by_hand, trigger.matches):
        function(EVENT)  # warm up

    rows = [
        ("mapping, compiled (8 fields)", *_median_us(compiled.evaluate, args.events, args.repeats)),
        ("baseline, by hand (same dict)", *_median_us(_by_hand, args.events, args.repeats)),
        ("trigger match (3 conditions)", *_median_us(trigger.matches, args.events, args.repeats)),
    ]
    print(f"{args.events} events x {args.repeats} repeats; median µs per event (each repeat)")
    print("| measurement | median µs/event | runs |")
    print("| --- | ---: | --- |")
    for label, median, runs in rows:
        print(f"| {label} | {median:.2f} | {', '.join(f'{run:.2f}' for run in runs)} |")
    mapping_us, baseline_us = rows[0][1], rows[1][1]
    verdict = "within" if mapping_us <= TARGET_US else "OVER"
    print(
        f"mapping: {mapping_us:.2f} µs/event, {mapping_us / baseline_us:.1f}x the hand-written "
        f"baseline; {verdict} the {TARGET_US:.0f} µs budget"
    )
    return 0 if mapping_us <= TARGET_US else 1


if __name__ == "__main__":
    raise SystemExit(main())
