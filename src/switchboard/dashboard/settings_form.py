"""A destination's settings form, generated from its adapter's settings JSON Schema.

Each property becomes one field: text, URL, secret (write-only: the stored value is never
put in the page), number, choice, checkbox, a list (one item per line), a mapping (one
`key = value` per line), or, for anything richer, JSON. Reading the form back gives the
settings document the destination service validates with the adapter's own model.

A setting with secret parts that is not a secret field as a whole (the webhook's header
values, a URL's password or ?token=) shows them as `MASK`, as every read does
(destinations/masking.py); sent back unchanged, each `MASK` keeps the stored value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from switchboard.dashboard.deps import Form
from switchboard.destinations.masking import MASK, is_masked_secret

PREFIX: Final = "setting."
CLEAR_PREFIX: Final = "clear."
KEEP_HINT: Final = f"Leave {MASK} as it is to keep the stored value."


@dataclass
class SettingField:
    key: str
    label: str
    help: str
    kind: str  # text url password number integer select checkbox lines map json
    required: bool
    nullable: bool
    value: str = ""
    checked: bool = False
    options: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    stored_secret: bool = False  # a secret is stored (its value is not shown)
    error: str | None = None

    @property
    def name(self) -> str:
        return PREFIX + self.key

    @property
    def wide(self) -> bool:
        return self.kind in ("lines", "map", "json")


def _resolve(schema: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: Mapping[str, Any] = schema.get("$defs", {}).get(ref.split("/")[-1], {})
        return resolved
    return node


def _kind(node: Mapping[str, Any]) -> str:
    kind = node.get("type")
    if "enum" in node:
        return "select"
    if kind == "string":
        if node.get("writeOnly") or node.get("format") == "password":
            return "password"
        return "url" if node.get("format") == "uri" else "text"
    if kind in ("integer", "number", "boolean"):
        return "checkbox" if kind == "boolean" else str(kind)
    if kind == "array" and node.get("items", {}).get("type") == "string":
        return "lines"
    extra = node.get("additionalProperties")
    if kind == "object" and isinstance(extra, dict) and extra.get("type") == "string":
        return "map"
    return "json"


def _display(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if kind == "lines" and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if kind == "map" and isinstance(value, dict):
        return "\n".join(f"{k} = {v}" for k, v in value.items())
    if kind == "json":
        return json.dumps(value, indent=2) if value not in ({}, []) else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def fields_for(
    schema: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[SettingField]:
    """The form's fields, filled with `values` (stored settings, masked) and `errors`."""
    required = set(schema.get("required", []))
    found: list[SettingField] = []
    for key, raw in schema.get("properties", {}).items():
        node = _resolve(schema, raw)
        nullable = False
        options = node.get("anyOf")
        if isinstance(options, list):
            real = [o for o in options if o.get("type") != "null"]
            nullable = len(real) < len(options)
            node = _resolve(schema, real[0]) if len(real) == 1 else {"type": "json"}
        kind = _kind(node)
        current = values.get(key, raw.get("default")) if values is not None else raw.get("default")
        setting = SettingField(
            key=key,
            label=str(raw.get("title") or node.get("title") or key.replace("_", " ").capitalize()),
            help=str(raw.get("description") or node.get("description") or ""),
            kind=kind,
            required=key in required,
            nullable=nullable,
            options=[str(o) for o in node.get("enum", [])],
            minimum=node.get("minimum", node.get("exclusiveMinimum")),
            maximum=node.get("maximum"),
            error=(errors or {}).get(key),
        )
        items = node.get("items")
        if kind != "password" and (
            is_masked_secret(raw)
            or is_masked_secret(node)
            or (isinstance(items, dict) and is_masked_secret(items))
        ):
            setting.help = f"{setting.help} {KEEP_HINT}".strip()
        if kind == "password":
            setting.stored_secret = current not in (None, "")
        elif kind == "checkbox":
            setting.checked = bool(current)
        else:
            setting.value = _display(kind, current)
        found.append(setting)
    return found


class FormProblem(ValueError):
    """A field could not be read (bad JSON, a mapping line without '='); keyed by field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def read_settings(schema: Mapping[str, Any], form: Form, *, editing: bool) -> dict[str, Any]:
    """The settings document from a submitted form. Empty optional fields become null (so an
    edit can clear them); an empty secret keeps the stored one when editing."""
    settings: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for setting in fields_for(schema):
        text = form.get(setting.name)
        kind = setting.kind
        if kind == "checkbox":
            settings[setting.key] = form.get(setting.name) == "on"
            continue
        if kind == "password":
            if form.get(CLEAR_PREFIX + setting.key) == "on" and setting.nullable:
                settings[setting.key] = None
            elif text:
                settings[setting.key] = text
            elif editing:
                settings[setting.key] = MASK
            elif setting.nullable:
                settings[setting.key] = None
            continue
        if kind == "lines":
            settings[setting.key] = [line.strip() for line in text.splitlines() if line.strip()]
            continue
        if kind == "map":
            mapping: dict[str, str] = {}
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                name, equals, value = line.partition("=")
                if not equals or not name.strip():
                    problems[setting.key] = f"line {number} needs the form: name = value"
                    break
                mapping[name.strip()] = value.strip()
            settings[setting.key] = mapping
            continue
        text = text.strip()
        if not text:
            if setting.nullable:
                settings[setting.key] = None
            continue
        if kind == "json":
            try:
                settings[setting.key] = json.loads(text)
            except json.JSONDecodeError as exc:
                problems[setting.key] = f"is not valid JSON ({exc.msg}, line {exc.lineno})"
            continue
        if kind in ("integer", "number"):
            try:
                number_value = float(text)
            except ValueError:
                problems[setting.key] = "must be a number"
                continue
            is_whole = number_value.is_integer()
            settings[setting.key] = (
                int(number_value) if kind == "integer" and is_whole else (number_value)
            )
            continue
        settings[setting.key] = text
    if problems:
        raise FormProblem(problems)
    return settings


def field_errors(errors: list[Any]) -> dict[str, str]:
    """Pydantic errors (from DestinationError.errors) as a message per top-level field."""
    found: dict[str, str] = {}
    for error in errors:
        loc = error.get("loc") or []
        key = str(loc[0]) if loc else ""
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        if len(loc) > 1:
            where = loc[1]
            # A list item is a line of its textarea; a mapping entry is named by its key.
            place = f"line {where + 1}" if isinstance(where, int) else str(where)
            message = f"{place}: {message}"
        found.setdefault(key, message)
    return found
