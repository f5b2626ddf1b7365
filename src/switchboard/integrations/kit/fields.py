"""An action's typed fields, and the check a mapped payload passes before `perform` sees it.

A field is what Segment's action fields are: a label, a type, whether it is required, a
description, choices, and the mapping directive a new mapping starts with (`default`). The
check follows Segment's validator (ajv with `coerceTypes: "array"`): a value of another
scalar type is converted when it can be without loss ("42" for an integer field, 42 for a
string one), a single value becomes a one-item list for a `multiple` field, and the first
problem is reported with the field it is in, in Segment's words:

    The root value is missing the required field 'email'.
    The value at /revenue must be a number but it was a string.
    The value at /currency must be one of: USD, EUR.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from switchboard.integrations.kit.errors import PayloadInvalid

FieldType = Literal["string", "text", "number", "integer", "boolean", "datetime", "object"]

#: JSON Schema types for the field types ("text" is a long string; "datetime" an ISO string).
_JSON_TYPES: Final[dict[str, str]] = {
    "string": "string",
    "text": "string",
    "number": "number",
    "integer": "integer",
    "boolean": "boolean",
    "datetime": "string",
    "object": "object",
}


@dataclass(frozen=True, slots=True)
class Field:
    """One input of an action."""

    label: str
    type: FieldType
    description: str = ""
    required: bool = False
    multiple: bool = False  # a list of `type`
    choices: tuple[str | int, ...] = ()
    default: Any = None  # a mapping (directives allowed) that a new mapping starts with
    properties: Mapping[str, Field] = field(default_factory=dict)  # known keys of an object
    minimum: float | None = None
    maximum: float | None = None

    def json_schema(self) -> dict[str, Any]:
        """The field as JSON Schema, with the kit's extras (`x-default`, `x-multiple`)."""
        item: dict[str, Any] = {"type": _JSON_TYPES[self.type]}
        if self.type == "datetime":
            item["format"] = "date-time"
        if self.choices:
            item["enum"] = list(self.choices)
        if self.minimum is not None:
            item["minimum"] = self.minimum
        if self.maximum is not None:
            item["maximum"] = self.maximum
        if self.properties:
            item["properties"] = {k: v.json_schema() for k, v in self.properties.items()}
            required = [k for k, v in self.properties.items() if v.required]
            if required:
                item["required"] = required
        schema: dict[str, Any] = {"type": "array", "items": item} if self.multiple else item
        schema["title"] = self.label
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["x-default"] = self.default
        return schema


def fields_schema(fields: Mapping[str, Field]) -> dict[str, Any]:
    """Every field of an action as one JSON Schema object."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: f.json_schema() for name, f in fields.items()},
    }
    required = [name for name, f in fields.items() if f.required]
    if required:
        schema["required"] = required
    return schema


def default_mapping(fields: Mapping[str, Field]) -> dict[str, Any]:
    """The mapping a new mapping of an action starts with: each field's default."""
    return {name: f.default for name, f in fields.items() if f.default is not None}


def check_payload(fields: Mapping[str, Field], payload: Mapping[str, Any]) -> dict[str, Any]:
    """`payload` with its values coerced to the fields' types; keys without a field pass as
    they are. Raises `PayloadInvalid` naming the first field that is missing or wrong."""
    return _check_object(fields, payload, "")


def _check_object(
    fields: Mapping[str, Field], payload: Mapping[str, Any], where: str
) -> dict[str, Any]:
    checked = dict(payload)
    for name, spec in fields.items():
        value = checked.get(name)
        path = f"{where}/{name}"
        if value is None or (value == "" and spec.required):
            if spec.required:
                owner = f"the value at {where}" if where else "the root value"
                raise PayloadInvalid(
                    f"{owner[0].upper()}{owner[1:]} is missing the required field '{name}'.",
                    field=path.lstrip("/").replace("/", "."),
                )
            checked.pop(name, None)
            continue
        checked[name] = _check_value(spec, value, path)
    return checked


def _check_value(spec: Field, value: Any, path: str) -> Any:
    if spec.multiple:
        items = value if isinstance(value, list) else [value]
        return [_check_one(spec, item, f"{path}/{index}") for index, item in enumerate(items)]
    return _check_one(spec, value, path)


def _check_one(spec: Field, value: Any, path: str) -> Any:
    coerced = _coerce(spec.type, value)
    if coerced is _INVALID:
        expected = "an object" if spec.type == "object" else f"a {_JSON_TYPES[spec.type]}"
        if spec.type == "integer":
            expected = "an integer"
        raise PayloadInvalid(
            f"The value at {path} must be {expected} but it was {_kind(value)}.",
            field=_field_name(path),
        )
    if spec.choices and coerced not in spec.choices:
        raise PayloadInvalid(
            f"The value at {path} must be one of: {', '.join(str(c) for c in spec.choices)}.",
            field=_field_name(path),
        )
    if isinstance(coerced, int | float) and not isinstance(coerced, bool):
        if spec.minimum is not None and coerced < spec.minimum:
            raise PayloadInvalid(
                f"The value at {path} must be >= {spec.minimum:g}.", field=_field_name(path)
            )
        if spec.maximum is not None and coerced > spec.maximum:
            raise PayloadInvalid(
                f"The value at {path} must be <= {spec.maximum:g}.", field=_field_name(path)
            )
    if spec.type == "object" and spec.properties:
        return _check_object(spec.properties, coerced, path)
    return coerced


_INVALID: Final = object()


def _coerce(kind: str, value: Any) -> Any:
    """`value` as `kind`, converted the way ajv's `coerceTypes` does; `_INVALID` if it cannot."""
    if isinstance(value, list) and kind != "object" and len(value) == 1:
        value = value[0]  # coerceTypes "array": a one-item list of a scalar is that scalar
    if kind in ("string", "text", "datetime"):
        if isinstance(value, str):
            if kind == "datetime" and not _is_datetime(value):
                return _INVALID
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            if kind == "datetime":
                return _INVALID
            return _number_text(value)
        return _INVALID
    if kind in ("number", "integer"):
        number = _as_number(value)
        if number is None:
            return _INVALID
        if kind == "integer" or isinstance(value, str):
            # "12" reads as 12, not 12.0; an integer field takes 3.0 as 3 but not 3.5.
            if isinstance(number, float) and number.is_integer():
                return int(number)
            if kind == "integer" and isinstance(number, float):
                return _INVALID
        return number
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if value in ("true", 1):
            return True
        if value in ("false", 0):
            return False
        return _INVALID
    if kind == "object":
        return value if isinstance(value, dict) else _INVALID
    return _INVALID


def _as_number(value: Any) -> int | float | None:
    """`value` as a finite number (true is 1, "2.5" is 2.5); None when it is not one."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and value.strip():
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _field_name(path: str) -> str:
    return path.lstrip("/").replace("/", ".")
