"""Decide, for one event, what happens at each destination connected to its source.

The `integrations` object (Segment's semantics):
- `All` defaults to true; a destination named in the object overrides `All`;
- a destination is named by its own name or by its type's display name ("Webhooks");
- `false` turns it off; `true` turns it on; an object turns it on and carries options;
- the "Segment.io" key is about Segment's own API and is ignored here.
Then destination filters (allow/deny by call type and by event name). Then, for a destination
on the kit, its mappings: every enabled mapping whose trigger matches gets a delivery of its
own (so each action's outcome is its own), and an event no trigger matches is recorded as
unsupported, saying so. For an adapter without mappings, whether it supports the call at all.
Each step that drops the event says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from switchboard.deliveries.status import Status


class Matcher(Protocol):
    """A parsed trigger (integrations/kit/triggers), as routing uses it."""

    def matches(self, event: Mapping[str, Any]) -> bool: ...


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
class MappingTarget:
    """An enabled mapping of a kit destination, as routing sees it."""

    id: int
    name: str
    trigger: Matcher


@dataclass(frozen=True, slots=True)
class Target:
    """A connected, enabled destination as routing sees it. `mappings` is None for an adapter
    without them (its `supported_calls` decide), else its enabled mappings in order."""

    id: int
    name: str
    display_name: str
    supported_calls: frozenset[str]
    filters: Filters = field(default_factory=Filters)
    mappings: tuple[MappingTarget, ...] | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    destination_id: int
    status: Status  # PENDING, SKIPPED, FILTERED or UNSUPPORTED
    reason: str | None = None
    options: dict[str, Any] | None = None
    mapping_id: int = 0  # the mapping a PENDING delivery runs; 0: none


#: How many mapping names the reason for "no mapping matches" lists.
_NAMED_MAPPINGS = 3


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


def _unmatched(target: Target, call_type: str) -> str:
    assert target.mappings is not None
    if not target.mappings:
        return f"{target.display_name} has no enabled mappings"
    names = ", ".join(repr(m.name) for m in target.mappings[:_NAMED_MAPPINGS])
    more = len(target.mappings) - _NAMED_MAPPINGS
    if more > 0:
        names += f" and {more} more"
    return f"no mapping's trigger matches this {call_type} event ({names})"


def plan(event: Mapping[str, Any], targets: Sequence[Target]) -> list[Decision]:
    """The decisions for the stored event `event` (its normalized payload): one per target,
    or, for a kit destination, one per mapping whose trigger matches."""
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
        if target.mappings is not None:
            matched = [m for m in target.mappings if m.trigger.matches(event)]
            if not matched:
                reason = _unmatched(target, call_type or "untyped")
                decisions.append(Decision(target.id, Status.UNSUPPORTED, reason))
            for mapping in matched:
                decisions.append(
                    Decision(target.id, Status.PENDING, None, options or None, mapping.id)
                )
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
