"""JavaScript value semantics that Segment's TypeScript relies on, for JSON values.

The mapping language and the trigger syntax are defined by TypeScript code, so their
results depend on JavaScript's rules: which values are falsy, what `String(x)` and
`Number(x)` give, how `obj && obj[key]` walks a path. These helpers reproduce those rules for
the values a decoded JSON document can hold (dict, list, str, int, float, bool, None), plus
`MISSING`, which stands for JavaScript's `undefined`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final


class _Missing:
    """The type of `MISSING`: JavaScript's `undefined`, distinct from JSON's null."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

_INDEX: Final = re.compile(r"0|[1-9][0-9]*")
_PATH_KEY: Final = re.compile(r"[^\[.\]]+")
_DECIMAL: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RADIX: Final = {"0x": 16, "0o": 8, "0b": 2}
# What JavaScript's String.prototype.trim removes (and Number() ignores around a number).
_JS_WHITESPACE: Final = " \t\n\v\f\r\u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


def type_name(value: object) -> str:
    """Segment's `realTypeOf`: string, number, boolean, null, undefined, array or object."""
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


def truthy(value: object) -> bool:
    """JavaScript truthiness: false for undefined, null, false, 0, NaN and ""."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def number_to_string(value: float) -> str:
    """JavaScript's `String(n)` for a number: `1.0` is "1", `1e21` is "1e+21"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        if abs(value) < 2**53:
            return str(int(value))
        # JavaScript writes the shortest digits that round-trip, then zeros: 1.2e20 is
        # "120000000000000000000", not the float's exact integer value.
        return format(Decimal(repr(value)), "f")
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def to_string(value: object) -> str:
    """JavaScript's `String(x)`: arrays join with commas, objects are "[object Object]"."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is MISSING:
        return "undefined"
    if isinstance(value, bool | int | float):
        return number_to_string(value)
    if isinstance(value, list | tuple):
        return ",".join(
            "" if item is None or item is MISSING else to_string(item) for item in value
        )
    return "[object Object]"


def to_number(value: object) -> float:
    """JavaScript's `Number(x)` for a JSON value (NaN where JavaScript gives NaN)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, str):
        text = value.strip(_JS_WHITESPACE)
        if text == "":
            return 0.0
        if text in ("Infinity", "+Infinity"):
            return math.inf
        if text == "-Infinity":
            return -math.inf
        radix = _RADIX.get(text[:2].lower())
        if radix is not None:
            try:
                return float(int(text[2:], radix))
            except ValueError:
                return math.nan
        if _DECIMAL.fullmatch(text):
            return float(text)
        return math.nan
    if isinstance(value, list | tuple):
        return to_number(to_string(value))
    return math.nan


def index(value: object, key: str) -> Any:
    """`value[key]` as JavaScript reads it: missing keys, and keys of scalars, are undefined.

    Arrays and strings answer canonical non-negative integer keys and `length`.
    """
    if isinstance(value, dict):
        return value.get(key, MISSING)
    if isinstance(value, list | str):
        if key == "length":
            return len(value)
        if _INDEX.fullmatch(key):
            position = int(key)
            if position < len(value):
                return value[position]
    return MISSING


def split_path(path: str) -> tuple[str, ...] | None:
    """The keys of a dotted path as both Segment packages' `get` splits it.

    Dots and brackets separate keys (`a.b[0]` is `a`, `b`, `0`; quotes inside brackets stay
    part of the key). `""` and `"."` are the value itself, `()`; a path with no key in it
    (`".."`) is None, where Segment's `get` would throw.
    """
    if path in ("", "."):
        return ()
    keys = tuple(_PATH_KEY.findall(path))
    return keys or None


def walk(value: object, keys: Sequence[str]) -> Any:
    """`keys.reduce((obj, key) => obj && obj[key], value)`, the lookup both Segment packages use.

    A falsy value met on the way (0, "", false, null) is the result, not undefined: that is
    what `obj && …` does, and Segment's output shows it.
    """
    for key in keys:
        # Objects are always truthy; testing for them first keeps the common walk cheap.
        if type(value) is dict:
            value = value.get(key, MISSING)
        elif not truthy(value):
            return value
        else:
            value = index(value, key)
    return value


def filled(value: object) -> bool:
    """`v !== undefined && v !== null && v != ''` with JavaScript's loose `!=`: mapping-kit's
    `@if` "blank" test, under which 0, false, [] and "" are all blank."""
    if value is None or value is MISSING:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | tuple):
        return to_string(value) != ""
    return True
