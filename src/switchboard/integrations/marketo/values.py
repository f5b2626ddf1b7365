"""Which mapped values a Marketo field or activity attribute can hold, as they are sent."""

from __future__ import annotations

import orjson

Scalar = str | int | float | bool


def scalar(value: object) -> Scalar | None:
    """A value a Marketo field can hold; objects, lists, null and blank strings are not sent."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool | int | float):
        return value
    return None


def attribute_value(value: object) -> Scalar | None:
    """A value as an activity attribute: scalars as they are, objects and lists as JSON text.

    Done here rather than with the mapping's `@json`, which would also turn a string into
    quoted JSON text and a number into a string."""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return scalar(value)


def key_text(value: Scalar) -> str:
    """A lookup value as the text it is cached under, whichever type the mapping gave it."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()
