"""What a Marketing Cloud field can hold.

A data-extension column, and so a journey's entry data (stored in the journey's entry data
extension), holds one value: a text, a number or a boolean. Objects, lists and nulls a mapping
produces are left out, so a mapping such as `{"@path": "$.traits"}` sends every trait a
column can take.
"""

from __future__ import annotations

from typing import Any


def columns(values: object) -> dict[str, Any]:
    """The entries of `values` (an object, else nothing) that a column can hold, in order."""
    if not isinstance(values, dict):
        return {}
    return {name: value for name, value in values.items() if is_scalar(value)}


def is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool)
