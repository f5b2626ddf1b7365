"""A condition tree written back as trigger text (destination-subscriptions' `generate-fql`).

What the dashboard's trigger builder saves: `parse_trigger(to_text(tree))` gives the tree
back for every tree the parser makes. Names with characters other than letters, digits,
`.`, `_` and `-` are backslash-escaped, as Segment writes them; string values are quoted
without escaping, as Segment does (so a value containing `"` cannot be written).
"""

from __future__ import annotations

import re
from typing import Final

from switchboard.integrations.kit.js import number_to_string, to_number, to_string
from switchboard.integrations.kit.triggers.conditions import Condition, Group, Value

_UNSAFE: Final = re.compile(r"[^a-zA-Z0-9._-]")
_FIELDS: Final = {
    "event-type": "type",
    "event": "event",
    "name": "name",
    "userId": "userId",
    "event-property": "properties",
    "event-trait": "traits",
    "event-context": "context",
}


def _value(value: Value | None) -> str:
    if isinstance(value, bool | int | float):
        return to_string(value)
    return f'"{"undefined" if value is None else value}"'


def _expression(name: str, operator: str, value: Value | None) -> str:
    text = to_string(value) if value is not None else "undefined"
    forms = {
        "contains": f"contains({name}, {_value(value)})",
        "not_contains": f"!contains({name}, {_value(value)})",
        "exists": f"{name} != null",
        "not_exists": f"{name} = null",
        "is_true": f"{name} = true",
        "is_false": f"{name} = false",
        "starts_with": f'match({name}, "{text}*")',
        "not_starts_with": f'!match({name}, "{text}*")',
        "ends_with": f'match({name}, "*{text}")',
        "not_ends_with": f'!match({name}, "*{text}")',
    }
    if operator in forms:
        return forms[operator]
    if operator in ("<", ">", "<=", ">="):
        return f"{name} {operator} {number_to_string(to_number(value))}"
    return f"{name} {operator} {_value(value)}"


def _escape(name: str) -> str:
    return _UNSAFE.sub(lambda match: "\\" + match.group(0), name)


def _condition(condition: Condition) -> str:
    field = _FIELDS.get(condition.type)
    if field is None:
        raise ValueError(f"unknown condition type {condition.type!r}")
    if condition.name is not None and field in ("properties", "traits", "context"):
        field = f"{field}.{_escape(condition.name)}"
    return _expression(field, condition.operator, condition.value)


def _group(group: Group) -> str:
    return f" {group.operator} ".join(
        f"({_group(child)})" if isinstance(child, Group) else _condition(child)
        for child in group.children
    )


def to_text(tree: Group) -> str:
    """The trigger text for a condition tree, as Segment's generator writes it.

    Raises ValueError for a condition of a type the syntax cannot express.
    """
    text = _group(tree)
    if text.startswith("(") and text.endswith(")") and text.count("(") + text.count(")") == 2:
        return text[1:-1]
    return text
