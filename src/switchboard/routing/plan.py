"""Decide, for one event, what happens at each destination connected to its source.

The `integrations` object (Segment's semantics):
- `All` defaults to true; a destination named in the object overrides `All`;
- a destination is named by its own name or by its type's display name ("Webhooks");
- `false` turns it off; `true` turns it on; an object turns it on and carries options;
- the "Segment.io" key is about Segment's own API and is ignored here.
Then destination filters (allow/deny by call type and by event name), then whether the
adapter supports the call at all. Each step that drops the event says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from switchboard.deliveries.status import Status

_IGNORED_KEYS = frozenset({"Segment.io"})


@dataclass(frozen=True, slots=True)
class Filters:
    """Empty allow-lists allow everything; deny-lists win over allow-lists."""

    allow_types: frozenset[str] = frozenset()
    deny_types: frozenset[str] = frozenset()
    allow_events: frozenset[str] = frozenset()  # track event names
    deny_events: frozenset[str] = frozenset()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Filters:
        data = data or {}
        return cls(
            allow_types=frozenset(data.get("allow_types") or ()),
            deny_types=frozenset(data.get("deny_types") or ()),
            allow_events=frozenset(data.get("allow_events") or ()),
            deny_events=frozenset(data.get("deny_events") or ()),
        )

    def reject_reason(self, call_type: str, event_name: str | None) -> str | None:
        if call_type in self.deny_types:
            return f"filter: {call_type} calls are denied"
        if self.allow_types and call_type not in self.allow_types:
            return f"filter: only {', '.join(sorted(self.allow_types))} calls are allowed"
        if call_type == "track":
            if event_name in self.deny_events:
                return f"filter: event {event_name!r} is denied"
            if self.allow_events and event_name not in self.allow_events:
                return f"filter: event {event_name!r} is not in the allowed events"
        return None


@dataclass(frozen=True, slots=True)
class Target:
    """A connected, enabled destination as routing sees it."""

    id: int
    name: str
    display_name: str
    supported_calls: frozenset[str]
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True, slots=True)
class Decision:
    destination_id: int
    status: Status  # PENDING, SKIPPED, FILTERED or UNSUPPORTED
    reason: str | None = None
    options: dict[str, Any] | None = None


def _enabled(value: Any) -> bool:
    return isinstance(value, dict) or bool(value)


def _integration_choice(
    integrations: Mapping[str, Any], target: Target
) -> tuple[bool, dict[str, Any] | None, str | None]:
    """(enabled, options, reason when off) for `target` under the integrations object."""
    for key in (target.name, target.display_name):
        if key in integrations and key not in _IGNORED_KEYS:
            value = integrations[key]
            if not _enabled(value):
                return False, None, f"integrations object: {key!r} is false"
            return True, (dict(value) if isinstance(value, dict) else {}), None
    if not _enabled(integrations.get("All", True)):
        return (
            False,
            None,
            f"integrations object: All is false and neither {target.name!r} nor "
            f"{target.display_name!r} is turned on",
        )
    return True, {}, None


def plan(event: Mapping[str, Any], targets: Sequence[Target]) -> list[Decision]:
    """One decision per target for the stored event `event` (its normalized payload)."""
    raw = event.get("integrations")
    integrations: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    call_type = str(event.get("type", ""))
    name = event.get("event") if call_type == "track" else None
    decisions = []
    for target in targets:
        on, options, why_off = _integration_choice(integrations, target)
        if not on:
            decisions.append(Decision(target.id, Status.SKIPPED, why_off))
            continue
        filtered = target.filters.reject_reason(call_type, name if isinstance(name, str) else None)
        if filtered is not None:
            decisions.append(Decision(target.id, Status.FILTERED, filtered))
            continue
        if call_type not in target.supported_calls:
            decisions.append(
                Decision(
                    target.id,
                    Status.UNSUPPORTED,
                    f"{target.display_name} does not support {call_type} calls",
                )
            )
            continue
        decisions.append(Decision(target.id, Status.PENDING, None, options or None))
    return decisions
