"""The compiled form of a mapping: one node per raw value or directive, evaluated per event.

Each node's `evaluate(payload)` returns a JSON value or `MISSING` (JavaScript's `undefined`,
which Segment drops from objects and which becomes null inside arrays). Objects drop
`MISSING` values as they are built, which is what Segment's final `removeUndefined` pass
does, without the second walk. Values copied out of the event are copied, never shared, so a
destination may change its payload freely.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Final, NoReturn

from switchboard.integrations.kit.js import (
    MISSING,
    filled,
    number_to_string,
    to_string,
    type_name,
    walk,
)
from switchboard.integrations.kit.mapping.errors import Location, MappingError
from switchboard.integrations.kit.mapping.liquid import LiquidTemplate, LiquidTemplateError
from switchboard.integrations.kit.mapping.paths import directive_path_keys
from switchboard.integrations.kit.mapping.template import Template

TEMPLATE_CACHE_SIZE: Final = 256
"""Templates built at evaluation time (a `@template` whose text comes from a directive)."""


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts and lists copied, scalars shared)."""
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


class Node:
    """A compiled raw value or directive."""

    __slots__ = ()

    def evaluate(self, payload: Any) -> Any:
        """The value this node resolves to for `payload`, or `MISSING`."""
        raise NotImplementedError


class Constant(Node):
    """A raw scalar of the mapping (string, number, boolean, null)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def evaluate(self, payload: Any) -> Any:
        return self.value


class ObjectNode(Node):
    """A raw object whose values are mappings; undefined values are left out."""

    __slots__ = ("_calls", "items")

    def __init__(self, items: tuple[tuple[str, Node], ...]) -> None:
        self.items = items
        # Bound methods looked up once: this loop is most of a mapping's cost.
        self._calls = tuple((key, node.evaluate) for key, node in items)

    def evaluate(self, payload: Any) -> Any:
        out: dict[str, Any] = {}
        for key, call in self._calls:
            value = call(payload)
            if value is not MISSING:
                out[key] = value
        return out

    def evaluate_keeping_missing(self, payload: Any) -> dict[str, Any]:
        """The object before undefined values are dropped (what `@merge` merges)."""
        return {key: node.evaluate(payload) for key, node in self.items}


class ArrayNode(Node):
    """A raw array whose items are mappings; an undefined item becomes null."""

    __slots__ = ("items",)

    def __init__(self, items: tuple[Node, ...]) -> None:
        self.items = items

    def evaluate(self, payload: Any) -> Any:
        out = []
        for node in self.items:
            value = node.evaluate(payload)
            out.append(None if value is MISSING else value)
        return out


class PathNode(Node):
    """`@path` with a literal path: the value at those keys."""

    __slots__ = ("keys",)

    def __init__(self, keys: tuple[str, ...]) -> None:
        self.keys = keys

    def evaluate(self, payload: Any) -> Any:
        value = payload
        for key in self.keys:
            if type(value) is not dict:
                # Arrays, strings and falsy values take JavaScript's rules, in `walk`.
                value = walk(payload, self.keys)
                break
            value = value.get(key, MISSING)
        kind = type(value)
        return copy_json(value) if kind is dict or kind is list else value


def _runtime_path(value: Any, location: Location, directive: str) -> tuple[str, ...]:
    if not isinstance(value, str):
        raise MappingError.at(location, f"{directive}: expected string, got {type_name(value)}")
    keys = directive_path_keys(value)
    if keys is None:
        raise MappingError.at(
            location, f"should be a path with at least one key but it is {value!r}"
        )
    return keys


class DynamicPathNode(Node):
    """`@path` whose path is itself computed by a directive."""

    __slots__ = ("location", "path")

    def __init__(self, path: Node, location: Location) -> None:
        self.path = path
        self.location = location

    def evaluate(self, payload: Any) -> Any:
        keys = _runtime_path(self.path.evaluate(payload), self.location, "@path")
        return copy_json(walk(payload, keys))


class TemplateNode(Node):
    """`@template` with a literal template."""

    __slots__ = ("template",)

    def __init__(self, template: Template) -> None:
        self.template = template

    def evaluate(self, payload: Any) -> Any:
        return self.template.render(payload)


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def _template(source: str) -> Template:
    return Template(source)


class DynamicTemplateNode(Node):
    """`@template` whose template text is computed by a directive."""

    __slots__ = ("location", "source")

    def __init__(self, source: Node, location: Location) -> None:
        self.source = source
        self.location = location

    def evaluate(self, payload: Any) -> Any:
        source = self.source.evaluate(payload)
        if not isinstance(source, str):
            raise MappingError.at(
                self.location, f"@template: expected string, got {type_name(source)}"
            )
        return _template(source).render(payload)


class IfNode(Node):
    """`@if`: "then" when the condition holds, else "else" (either may be absent)."""

    __slots__ = ("blank", "condition", "otherwise", "then")

    def __init__(self, condition: Node, *, blank: bool, then: Node | None, otherwise: Node | None):
        self.condition = condition
        self.blank = blank
        self.then = then
        self.otherwise = otherwise

    def evaluate(self, payload: Any) -> Any:
        value = self.condition.evaluate(payload)
        holds = filled(value) if self.blank else value is not None and value is not MISSING
        branch = self.then if holds else self.otherwise
        return MISSING if branch is None else branch.evaluate(payload)


class CaseNode(Node):
    """`@case`: a string value in lower or upper case; other values unchanged."""

    __slots__ = ("upper", "value")

    def __init__(self, value: Node | None, *, upper: bool) -> None:
        self.value = value
        self.upper = upper

    def evaluate(self, payload: Any) -> Any:
        if self.value is None:
            return MISSING
        value = self.value.evaluate(payload)
        if isinstance(value, str):
            return value.upper() if self.upper else value.lower()
        return value


def _js_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """The replacer JavaScript's `String.replace` applies for a replacement string.

    `$$` is a dollar sign, `$&` the match, `` $` `` and `$'` the text before and after it;
    the pattern has no groups, so `$1` and the like stay as written.
    """
    if "$" not in replacement:
        return lambda _match: replacement

    def expand(match: re.Match[str]) -> str:
        out: list[str] = []
        i = 0
        while i < len(replacement):
            char = replacement[i]
            following = replacement[i + 1] if i + 1 < len(replacement) else ""
            if char == "$" and following in ("$", "&", "`", "'"):
                if following == "$":
                    out.append("$")
                elif following == "&":
                    out.append(match.group(0))
                elif following == "`":
                    out.append(match.string[: match.start()])
                else:
                    out.append(match.string[match.end() :])
                i += 2
                continue
            out.append(char)
            i += 1
        return "".join(out)

    return expand


class ReplaceNode(Node):
    """`@replace`: literal (not regular-expression) replacement, once or everywhere."""

    __slots__ = ("count", "steps", "value")

    def __init__(
        self,
        value: Node | None,
        steps: tuple[tuple[str, str], ...],
        *,
        ignore_case: bool,
        everywhere: bool,
    ) -> None:
        self.value = value
        flags = re.IGNORECASE if ignore_case else 0
        self.steps = tuple(
            (re.compile(re.escape(pattern), flags), _js_replacement(replacement))
            for pattern, replacement in steps
        )
        self.count = 0 if everywhere else 1

    def evaluate(self, payload: Any) -> Any:
        if self.value is None:
            return MISSING
        value = self.value.evaluate(payload)
        if isinstance(value, bool | int | float):
            value = to_string(value)
        if not isinstance(value, str):
            # Segment answers "" for a value that is neither a string, a number nor a boolean.
            return ""
        for pattern, replacer in self.steps:
            value = pattern.sub(replacer, value, count=self.count)
        return value


class ArrayPathNode(Node):
    """`@arrayPath`: the array (or object) at a path, each item reshaped when a shape is given."""

    __slots__ = ("keys", "root", "shape")

    def __init__(self, keys: tuple[str, ...] | None, root: Node | None, shape: Node | None):
        self.keys = keys
        self.root = root
        self.shape = shape

    def evaluate(self, payload: Any) -> Any:
        if self.root is not None:
            value = self.root.evaluate(payload)
        else:
            value = walk(payload, self.keys or ())
        if self.shape is not None and isinstance(value, dict | list):
            items = value if isinstance(value, list) else [value]
            out = []
            for item in items:
                shaped = self.shape.evaluate(item)
                out.append(None if shaped is MISSING else shaped)
            return out
        return copy_json(value)


def flatten(value: Any, separator: str, *, omit_arrays: bool, prefix: str = "") -> Any:
    """mapping-kit's `flattenObject`: nested keys joined with `separator`.

    Arrays are flattened by index unless `omit_arrays`; a value that is not an object (or
    array) is returned unchanged.
    """
    if not (isinstance(value, dict) or (isinstance(value, list) and not omit_arrays)):
        return copy_json(value)
    pairs = value.items() if isinstance(value, dict) else enumerate(value)
    out: dict[str, Any] = {}
    for key, item in pairs:
        name = f"{prefix}{key}"
        if isinstance(item, dict) or (isinstance(item, list) and not omit_arrays):
            out.update(flatten(item, separator, omit_arrays=omit_arrays, prefix=name + separator))
        else:
            out[name] = copy_json(item)
    return out


class FlattenNode(Node):
    """`@flatten`: an object's nested keys joined into one level."""

    __slots__ = ("omit_arrays", "separator", "value")

    def __init__(self, value: Node, separator: str, *, omit_arrays: bool) -> None:
        self.value = value
        self.separator = separator
        self.omit_arrays = omit_arrays

    def evaluate(self, payload: Any) -> Any:
        return flatten(self.value.evaluate(payload), self.separator, omit_arrays=self.omit_arrays)


def json_stringify(value: Any) -> Any:
    """JavaScript's `JSON.stringify`: compact, `1.0` as `1`; `MISSING` for undefined."""
    if value is MISSING:
        return MISSING
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return (
            "null"
            if isinstance(value, float) and not math.isfinite(value)
            else number_to_string(value)
        )
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        items = (json_stringify(item) for item in value)
        return "[" + ",".join("null" if item is MISSING else item for item in items) + "]"
    if isinstance(value, dict):
        members = []
        for key, item in value.items():
            text = json_stringify(item)
            if text is not MISSING:
                members.append(f"{json.dumps(str(key), ensure_ascii=False)}:{text}")
        return "{" + ",".join(members) + "}"
    return MISSING


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


class JsonNode(Node):
    """`@json`: encode a value as JSON text, or decode JSON text (other values unchanged)."""

    __slots__ = ("encode", "location", "value")

    def __init__(self, value: Node, *, encode: bool, location: Location) -> None:
        self.value = value
        self.encode = encode
        self.location = location

    def evaluate(self, payload: Any) -> Any:
        value = self.value.evaluate(payload)
        if self.encode:
            return json_stringify(value)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value, parse_constant=_refuse_constant)
        except ValueError as error:
            raise MappingError.at(
                self.location, f"@json: the value is not JSON ({error})"
            ) from None


class MergeNode(Node):
    """`@merge`: objects merged in order ("right": later wins) or reversed ("left")."""

    __slots__ = ("left", "objects")

    def __init__(self, objects: tuple[Node, ...], *, left: bool) -> None:
        self.objects = objects
        self.left = left

    def evaluate(self, payload: Any) -> Any:
        resolved = [
            node.evaluate_keeping_missing(payload)
            if isinstance(node, ObjectNode)
            else node.evaluate(payload)
            for node in self.objects
        ]
        if self.left:
            resolved.reverse()
        merged: dict[str, Any] = {}
        for value in resolved:
            # Object.assign: objects copy their keys, arrays and strings their indexes,
            # anything else nothing.
            if isinstance(value, dict):
                merged.update(value)
            elif isinstance(value, list | str):
                merged.update((str(i), item) for i, item in enumerate(value))
        return {key: value for key, value in merged.items() if value is not MISSING}


class TransformNode(Node):
    """`@transform`: map the event with "apply", then map that result with "mapping"."""

    __slots__ = ("apply", "mapping")

    def __init__(self, apply: Node, mapping: Node) -> None:
        self.apply = apply
        self.mapping = mapping

    def evaluate(self, payload: Any) -> Any:
        intermediate = self.apply.evaluate(payload)
        return self.mapping.evaluate({} if intermediate is MISSING else intermediate)


class ExcludeWhenNullNode(Node):
    """`@excludeWhenNull`: a null value becomes undefined, so its key is left out."""

    __slots__ = ("value",)

    def __init__(self, value: Node) -> None:
        self.value = value

    def evaluate(self, payload: Any) -> Any:
        value = self.value.evaluate(payload)
        return MISSING if value is None else value


class LiquidNode(Node):
    """`@liquid`: a sandboxed Liquid template rendered against the event."""

    __slots__ = ("location", "template")

    def __init__(self, template: LiquidTemplate, location: Location) -> None:
        self.template = template
        self.location = location

    def evaluate(self, payload: Any) -> Any:
        try:
            return self.template.render(payload)
        except LiquidTemplateError as error:
            raise MappingError.at(self.location, str(error)) from None
