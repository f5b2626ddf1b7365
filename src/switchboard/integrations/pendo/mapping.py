"""What the per-call builders share: the request they return and the rules for ids and traits.

A builder (`identify.build`, `group.build`, `track.build`) turns one stored event into one
`PendoRequest`, or raises `Unmappable` when the event lacks what Pendo requires; the adapter
turns that into a failed outcome without sending anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from switchboard.spec.timestamps import TimestampError, parse_timestamp

#: Which secret authenticates a request: the integration key or the Track Event Shared Secret.
Credential = Literal["integration_key", "track_event_secret"]


@dataclass(frozen=True, slots=True)
class PendoRequest:
    """One POST to Pendo: the path under the base URL, the JSON body and its credential."""

    path: str
    body: Any
    credential: Credential


class Unmappable(ValueError):
    """The event cannot become a Pendo request; `code` is the outcome code."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def identifier(value: object) -> str | None:
    """An id as Pendo takes it: a non-empty string (numbers are written out), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def visitor_id(event: Mapping[str, Any], call: str) -> str:
    """The Visitor ID: the event's userId. Pendo has no anonymous server-side visitors."""
    found = identifier(event.get("userId"))
    if found is None:
        raise Unmappable(
            f"Pendo needs a Visitor ID, and this {call} call has no userId", "missing_user_id"
        )
    return found


def as_object(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def metadata_values(traits: Mapping[str, Any], *, drop: frozenset[str]) -> dict[str, Any]:
    """Traits as Pendo metadata values: nested objects flattened with `_` (address.city →
    address_city), since a Pendo field holds a text, number, boolean or date."""
    values: dict[str, Any] = {}
    for name, value in traits.items():
        if name in drop:
            continue
        if isinstance(value, dict):
            for inner, inner_value in metadata_values(value, drop=frozenset()).items():
                values[f"{name}_{inner}"] = inner_value
        else:
            values[name] = value
    return values


def epoch_ms(event: Mapping[str, Any]) -> int:
    """When the event happened, in epoch milliseconds (the Track Events API's unit)."""
    raw = event.get("timestamp") or event.get("receivedAt")
    if raw is None:
        raise Unmappable("the event has no timestamp", "invalid_timestamp")
    try:
        moment = parse_timestamp(raw)
    except TimestampError as exc:
        raise Unmappable(
            f"the event's timestamp cannot be read: {exc}", "invalid_timestamp"
        ) from None
    return int(moment.timestamp() * 1000)
