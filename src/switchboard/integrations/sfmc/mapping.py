"""What the per-call builders share: the request they return and the rules for keys and fields.

A builder (`identify.build`, `track.build`) turns one stored event into the requests it needs,
or raises `Unmappable` when the event lacks what Marketing Cloud requires; the adapter turns
that into a failed outcome without sending anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SFMCRequest:
    """One POST to the REST base: the path under it and the JSON body."""

    path: str
    body: Any


class Unmappable(ValueError):
    """The event cannot become a Marketing Cloud request; `code` is the outcome code."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def contact_key(event: Mapping[str, Any], call: str) -> str:
    """The Contact Key: the event's userId (numbers written out)."""
    value = event.get("userId")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
    raise Unmappable(
        f"Marketing Cloud needs a Contact Key, and this {call} call has no userId",
        "missing_user_id",
    )


def as_object(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def field_values(source: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """Fields for an event's data or a row's values.

    With a mapping, each `path → field` whose dotted path leads to a text, number or boolean;
    without, every top-level value that is one, under its own name. A data-extension column
    holds one value, so objects, lists and nulls are left out either way.
    """
    if not mapping:
        return {name: value for name, value in source.items() if _is_scalar(value)}
    values: dict[str, Any] = {}
    for path, name in mapping.items():
        value = _lookup(source, path)
        if _is_scalar(value):
            values[name] = value
    return values


def _lookup(source: Mapping[str, Any], path: str) -> object:
    if path in source:
        return source[path]
    current: object = source
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)
