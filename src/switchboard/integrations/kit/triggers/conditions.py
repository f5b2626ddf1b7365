"""A parsed trigger's condition tree, and how it matches an event.

The tree has Segment's shape (destination-subscriptions' `types.ts`): a `Group` of "and" or
"or" whose children are `Condition`s or further groups. A condition's `type` says which
part of the event it reads:

    event-type  event.type          event-property  event.properties.<name>
    event       event.event         event-trait     event.traits.<name>
    name        event.name          event-context   event.context.<name>
    userId      event.userId

and its `operator` how the value is compared (`=`, `!=`, `<`, `<=`, `>`, `>=`, `contains`,
`not_contains`, `starts_with`, `not_starts_with`, `ends_with`, `not_ends_with`, `exists`,
`not_exists`, `is_true`, `is_false`). The comparisons are Segment's: `=` holds only for a
string equal to the value's text (`properties.count = 3` does not match the number 3), the
order operators only for numbers, the text operators only for strings, `is_true` only for
the boolean true. An operator the parser kept but Segment does not know never matches.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeGuard

from switchboard.integrations.kit.js import MISSING, split_path, to_number, to_string, walk

Value = str | int | float | bool

_TOP_LEVEL: Final = {"event-type": "type", "event": "event", "name": "name", "userId": "userId"}
_NESTED: Final = {
    "event-property": "properties",
    "event-trait": "traits",
    "event-context": "context",
}


@dataclass(frozen=True, slots=True)
class Condition:
    """One comparison of a part of the event with a value."""

    type: str
    operator: str
    value: Value | None = None
    name: str | None = None
    _keys: tuple[str, ...] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        # Destination-subscriptions' `get` answers undefined for an empty path.
        object.__setattr__(self, "_keys", split_path(self.name) if self.name else None)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the event satisfies this comparison."""
        top = _TOP_LEVEL.get(self.type)
        if top is not None:
            actual = event.get(top, MISSING)
        elif self.type in _NESTED:
            container = event.get(_NESTED[self.type], MISSING)
            actual = MISSING if self._keys is None else walk(container, self._keys)
        else:
            return False
        return _compare(actual, self.operator, self.value)

    def as_segment(self) -> dict[str, Any]:
        """The condition as Segment's JSON AST writes it."""
        out: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            out["name"] = self.name
        out["operator"] = self.operator
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass(frozen=True, slots=True)
class Group:
    """Conditions joined by one operator: "and" (all hold) or "or" (any holds)."""

    operator: str
    children: tuple[Group | Condition, ...]

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the event satisfies the group."""
        if self.operator == "and":
            return all(child.matches(event) for child in self.children)
        if self.operator == "or":
            return any(child.matches(event) for child in self.children)
        return False

    def as_segment(self) -> dict[str, Any]:
        """The group as Segment's JSON AST writes it."""
        return {
            "type": "group",
            "operator": self.operator,
            "children": [child.as_segment() for child in self.children],
        }


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(actual: object, operator: str, expected: Value | None) -> bool:
    if operator == "exists":
        return actual is not None and actual is not MISSING
    if operator == "not_exists":
        return actual is None or actual is MISSING
    if operator == "is_true":
        return actual is True
    if operator == "is_false":
        return actual is False
    text = to_string(expected) if expected is not None else "undefined"
    if operator == "=":
        return isinstance(actual, str) and actual == text
    if operator == "!=":
        return not (isinstance(actual, str) and actual == text)
    if operator in ("<", "<=", ">", ">="):
        if not _is_number(actual):
            return False
        left, right = float(actual), to_number(expected)
        if math.isnan(left) or math.isnan(right):
            return False
        if operator == "<":
            return left < right
        if operator == "<=":
            return left <= right
        if operator == ">":
            return left > right
        return left >= right
    if not isinstance(actual, str):
        return False
    if operator == "contains":
        return text in actual
    if operator == "not_contains":
        return text not in actual
    if operator == "starts_with":
        return actual.startswith(text)
    if operator == "not_starts_with":
        return not actual.startswith(text)
    if operator == "ends_with":
        return actual.endswith(text)
    if operator == "not_ends_with":
        return not actual.endswith(text)
    return False
