"""Validating a mapping and compiling it into nodes, in one walk.

The checks are those of Segment's `validate.ts`, with its messages and locations, plus the
checks Segment only makes while transforming but which fail for every event (an `@if` with
neither "exists" nor "blank", a `@case` operator other than "lower" or "upper", a `@liquid`
template that does not parse): a mapping that can never work is refused when it is saved.
What depends on the event (a `@path` computed by a directive that yields a number, text
that `@json` cannot decode, a Liquid filter failing on a value) is reported by `evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final

import orjson

from switchboard.integrations.kit.js import MISSING, truthy, type_name
from switchboard.integrations.kit.mapping.directives import (
    ArrayNode,
    ArrayPathNode,
    CaseNode,
    Constant,
    DynamicPathNode,
    DynamicTemplateNode,
    ExcludeWhenNullNode,
    FlattenNode,
    IfNode,
    JsonNode,
    LiquidNode,
    MergeNode,
    Node,
    ObjectNode,
    PathNode,
    ReplaceNode,
    TemplateNode,
    TransformNode,
)
from switchboard.integrations.kit.mapping.errors import Location, MappingError, MappingIssue
from switchboard.integrations.kit.mapping.liquid import LiquidTemplate, LiquidTemplateError
from switchboard.integrations.kit.mapping.paths import directive_path_keys
from switchboard.integrations.kit.mapping.template import Template

CACHE_SIZE: Final = 1024
"""Compiled mappings kept, keyed by their JSON text: far more than a deployment configures."""

MAX_PATTERN_LENGTH: Final = 10
MAX_REPLACEMENT_LENGTH: Final = 10
"""Segment's limits on `@replace`'s "pattern" and "replacement" (and their "…2" forms)."""

METADATA_KEY: Final = "_metadata"
"""The one key Segment allows beside a directive's @-key (its editor keeps notes there)."""

_SCALARS: Final = (str, int, float, bool)


def _article(kind: str) -> str:
    return "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"


def _kind(value: object) -> str:
    """Segment's `realTypeOrDirective`: "directive" for an object with an @-prefixed key."""
    if isinstance(value, dict) and any(isinstance(k, str) and k.startswith("@") for k in value):
        return "directive"
    if value is MISSING or value is None or isinstance(value, (*_SCALARS, list, dict)):
        return type_name(value)
    return type(value).__name__


def _is_a(value: object) -> str:
    kind = _kind(value)
    return f"{_article(kind)} {kind}"


class _Compiler:
    """One walk over a mapping: collects every issue, and the nodes if there are none."""

    def __init__(self) -> None:
        self.issues: list[MappingIssue] = []
        self.directives: dict[str, Callable[[Any, Location], Node]] = {
            "@if": self._if,
            "@case": self._case,
            "@replace": self._replace,
            "@arrayPath": self._array_path,
            "@path": self._path,
            "@template": self._template,
            "@literal": self.mapping,
            "@flatten": self._flatten,
            "@json": self._json,
            "@merge": self._merge,
            "@transform": self._transform,
            "@excludeWhenNull": self._exclude_when_null,
            "@liquid": self._liquid,
        }

    def issue(self, location: Location, message: str) -> Node:
        """Record a problem; the node returned stands in for the invalid part."""
        self.issues.append(MappingIssue(location, message))
        return Constant(MISSING)

    # -- generic values -------------------------------------------------------------------

    def mapping(self, value: Any, location: Location) -> Node:
        """Any mapping value: a directive, an object or array of mappings, or a scalar."""
        if isinstance(value, dict):
            if _kind(value) == "directive":
                return self.directive(value, location)
            items = []
            for key, item in value.items():
                if not isinstance(key, str):
                    self.issue(location, f"should have string keys but it has {key!r}")
                    continue
                items.append((key, self.mapping(item, (*location, key))))
            return ObjectNode(tuple(items))
        if isinstance(value, list):
            return ArrayNode(
                tuple(self.mapping(item, (*location, str(i))) for i, item in enumerate(value))
            )
        if value is None or isinstance(value, _SCALARS):
            return Constant(value)
        return self.issue(
            location, f"should be a mapping directive or a JSON value but it is {_is_a(value)}"
        )

    def directive(self, value: dict[str, Any], location: Location) -> Node:
        """An object with an @-prefixed key: exactly one directive and nothing beside it."""
        names = [key for key in value if isinstance(key, str) and key.startswith("@")]
        if len(names) > 1:
            return self.issue(
                location, f"should only have one @-prefixed key but it has {len(names)} keys"
            )
        if any(key != METADATA_KEY and key not in names for key in value):
            return self.issue(
                location, f"should only have one @-prefixed key but it has {len(value)} keys"
            )
        name = names[0]
        build = self.directives.get(name)
        if build is None:
            return self.issue(location, f"has an invalid directive: {name}")
        return build(value[name], (*location, name))

    def directive_or_string(self, value: Any, location: Location) -> Node | str:
        """A literal string (returned as is) or a directive computing one."""
        if isinstance(value, str):
            return value
        if _kind(value) == "directive":
            return self.directive(value, location)
        return self.issue(
            location, f"should be a string or a mapping directive but it is {_is_a(value)}"
        )

    def options(
        self, value: Any, location: Location, required: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        """A directive's options object, with its required fields present."""
        if _kind(value) != "object":
            self.issue(location, f"should be an object but it is {_is_a(value)}")
            return None
        for field in required:
            if field not in value:
                self.issue(location, f'should have field "{field}" but it doesn\'t')
        return dict(value)

    def string(self, value: Any, location: Location, low: int = 0, high: int | None = None) -> str:
        """A literal string, optionally of a bounded length ("" when it is not one)."""
        if not isinstance(value, str):
            self.issue(location, f"should be a string but it is {_is_a(value)}")
            return ""
        if len(value) < low:
            self.issue(location, f"should be a string of length {low} or greater")
        if high is not None and len(value) > high:
            self.issue(location, f"should be a string of length {high} or less")
        return value

    def boolean(
        self, options: dict[str, Any], field: str, location: Location, default: bool
    ) -> bool:
        """An optional literal boolean option."""
        if field not in options:
            return default
        value = options[field]
        if not isinstance(value, bool):
            self.issue((*location, field), f"should be a boolean but it is {_is_a(value)}")
            return default
        return value

    def choice(
        self, options: dict[str, Any], field: str, location: Location, allowed: tuple[str, ...]
    ) -> str:
        """A required option that must be one of a few literal strings."""
        value = options.get(field, MISSING)
        if value is MISSING:
            return ""
        if value not in allowed:
            quoted = ", ".join(f'"{choice}"' for choice in allowed)
            shown = f'"{value}"' if isinstance(value, str) else _is_a(value)
            self.issue((*location, field), f"should be one of {quoted} but it is {shown}")
            return ""
        return str(value)

    # -- directives -----------------------------------------------------------------------

    def _path(self, value: Any, location: Location) -> Node:
        if isinstance(value, str):
            keys = directive_path_keys(value)
            if keys is None:
                return self.issue(
                    location, f"should be a path with at least one key but it is {value!r}"
                )
            return PathNode(keys)
        if isinstance(value, list):
            for i, key in enumerate(value):
                if not isinstance(key, str):
                    self.issue((*location, str(i)), f"should be a string but it is {_is_a(key)}")
            return PathNode(tuple(str(key) for key in value))
        if _kind(value) == "directive":
            return DynamicPathNode(self.directive(value, location), location)
        # Segment's validator tries both forms and reports why each failed.
        self.issue(location, f"should be a string or a mapping directive but it is {_is_a(value)}")
        return self.issue(location, f"should be an array but it is {_is_a(value)}")

    def _template(self, value: Any, location: Location) -> Node:
        source = self.directive_or_string(value, location)
        if isinstance(source, str):
            return TemplateNode(Template(source))
        return DynamicTemplateNode(source, location)

    def _if(self, value: Any, location: Location) -> Node:
        options = self.options(value, location)
        if options is None:
            return Constant(MISSING)
        built = {
            field: self.mapping(options[field], (*location, field))
            for field in ("exists", "blank", "then", "else")
            if field in options
        }
        if not truthy(options.get("exists")) and not truthy(options.get("blank")):
            return self.issue(location, 'requires an "exists" key or a "blank" key')
        blank = "exists" not in options
        return IfNode(
            built["blank"] if blank else built["exists"],
            blank=blank,
            then=built.get("then"),
            # Segment takes the "else" branch only when its value is truthy: `else: false`
            # or `else: 0` leave the field out rather than setting it.
            otherwise=built["else"] if truthy(options.get("else")) else None,
        )

    def _case(self, value: Any, location: Location) -> Node:
        options = self.options(value, location)
        if options is None:
            return Constant(MISSING)
        source: Node | str | None = None
        if "value" in options:
            source = self.directive_or_string(options["value"], (*location, "value"))
        operator = options.get("operator")
        if not truthy(operator):
            return self.issue(location, 'requires a "operator" key')
        if not isinstance(operator, str):
            return self.issue(
                (*location, "operator"), f"should be a string but it is {_is_a(operator)}"
            )
        if operator not in ("lower", "upper"):
            return self.issue(location, 'operator key should have a value of "lower" or "upper"')
        if isinstance(source, str):
            source = Constant(source) if source else None
        return CaseNode(source, upper=operator == "upper")

    def _replace(self, value: Any, location: Location) -> Node:
        options = self.options(value, location, required=("pattern", "value"))
        if options is None:
            return Constant(MISSING)
        steps = []
        for suffix in ("", "2"):
            pattern_field, replacement_field = f"pattern{suffix}", f"replacement{suffix}"
            if pattern_field not in options:
                continue
            pattern = self.string(
                options[pattern_field],
                (*location, pattern_field),
                1 if not suffix else 0,
                MAX_PATTERN_LENGTH,
            )
            replacement = ""
            if replacement_field in options:
                replacement = self.string(
                    options[replacement_field],
                    (*location, replacement_field),
                    0,
                    MAX_REPLACEMENT_LENGTH,
                )
            if pattern:
                steps.append((pattern, replacement))
        source: Node | str | None = None
        if "value" in options:
            source = self.directive_or_string(options["value"], (*location, "value"))
        ignore_case = self.boolean(options, "ignorecase", location, False)
        everywhere = self.boolean(options, "global", location, True)
        if isinstance(source, str):
            source = Constant(source) if source else None
        return ReplaceNode(source, tuple(steps), ignore_case=ignore_case, everywhere=everywhere)

    def _array_path(self, value: Any, location: Location) -> Node:
        if not isinstance(value, list):
            return self.issue(location, f"should be an array but it is {_is_a(value)}")
        path = self.directive_or_string(value[0] if value else MISSING, (*location, "0"))
        shape: Node | None = None
        if len(value) > 1:
            built = self.mapping(value[1], (*location, "1"))
            if isinstance(value[1], dict) and value[1]:
                shape = built
        if isinstance(path, str):
            keys = directive_path_keys(path)
            if keys is None:
                return self.issue(
                    (*location, "0"), f"should be a path with at least one key but it is {path!r}"
                )
            return ArrayPathNode(keys, None, shape)
        return ArrayPathNode(None, path, shape)

    def _flatten(self, value: Any, location: Location) -> Node:
        options = self.options(value, location, required=("value",))
        if options is None:
            return Constant(MISSING)
        source = self.mapping(options.get("value"), (*location, "value"))
        separator = options.get("separator")
        if not truthy(separator):
            self.issue(location, 'requires a "separator" key')
        elif not isinstance(separator, str):
            self.issue((*location, "separator"), f"should be a string but it is {_is_a(separator)}")
        omit_arrays = self.boolean(options, "omitArrays", location, False)
        return FlattenNode(
            source, separator if isinstance(separator, str) else ".", omit_arrays=omit_arrays
        )

    def _json(self, value: Any, location: Location) -> Node:
        options = self.options(value, location, required=("mode", "value"))
        if options is None:
            return Constant(MISSING)
        mode = self.choice(options, "mode", location, ("encode", "decode"))
        source = self.mapping(options.get("value"), (*location, "value"))
        if "value" in options and not truthy(options["value"]):
            self.issue(location, 'requires a "value" key')
        return JsonNode(source, encode=mode == "encode", location=location)

    def _merge(self, value: Any, location: Location) -> Node:
        options = self.options(value, location, required=("objects", "direction"))
        if options is None:
            return Constant(MISSING)
        direction = self.choice(options, "direction", location, ("left", "right"))
        objects = options.get("objects", [])
        if not isinstance(objects, list):
            self.issue((*location, "objects"), f"should be an array but it is {_is_a(objects)}")
            objects = []
        nodes = []
        for i, item in enumerate(objects):
            where = (*location, "objects", str(i))
            if not isinstance(item, dict):
                self.issue(
                    where, f"should be an object or a mapping directive but it is {_is_a(item)}"
                )
                continue
            nodes.append(self.mapping(item, where))
        return MergeNode(tuple(nodes), left=direction == "left")

    def _transform(self, value: Any, location: Location) -> Node:
        options = self.options(value, location, required=("apply", "mapping"))
        if options is None:
            return Constant(MISSING)
        apply = options.get("apply", {})
        if not isinstance(apply, dict):
            self.issue((*location, "apply"), f"should be an object but it is {_is_a(apply)}")
            apply = {}
        mapping = options.get("mapping", {})
        if "mapping" in options and not truthy(mapping):
            self.issue(location, 'requires a "mapping" key')
        return TransformNode(
            self.mapping(apply, (*location, "apply")), self.mapping(mapping, (*location, "mapping"))
        )

    def _exclude_when_null(self, value: Any, location: Location) -> Node:
        return ExcludeWhenNullNode(self.mapping(value, location))

    def _liquid(self, value: Any, location: Location) -> Node:
        if not isinstance(value, str):
            return self.issue(location, f"should be a string but it is {_is_a(value)}")
        try:
            return LiquidNode(LiquidTemplate(value), location)
        except LiquidTemplateError as error:
            return self.issue(location, str(error))


class CompiledMapping:
    """A validated mapping, ready to evaluate on any number of events."""

    __slots__ = ("_root", "mapping")

    def __init__(self, mapping: Mapping[str, Any], root: Node) -> None:
        self.mapping = mapping
        self._root = root

    def evaluate(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The payload this mapping makes of `event`, undefined values left out.

        Raises MappingError when the mapping cannot be applied to this event (for example a
        `@json` decode of text that is not JSON), naming the directive's location.
        """
        if not isinstance(event, Mapping):
            raise MappingError.at((), f"the event should be an object but it is {_is_a(event)}")
        result = self._root.evaluate(event)
        if not isinstance(result, dict):
            raise MappingError.at((), f"should produce an object but it produced {_is_a(result)}")
        return result


@lru_cache(maxsize=CACHE_SIZE)
def _compile_text(text: bytes) -> CompiledMapping:
    mapping = orjson.loads(text)
    compiler = _Compiler()
    root = compiler.mapping(mapping, ())
    if compiler.issues:
        raise MappingError(compiler.issues)
    return CompiledMapping(mapping, root)


def compile_mapping(mapping: Mapping[str, Any]) -> CompiledMapping:
    """Validate `mapping` once and compile it; the same mapping again comes from a cache.

    Raises MappingError listing every problem found, each with its location.
    """
    if isinstance(mapping, Mapping) and not isinstance(mapping, dict):
        mapping = dict(mapping)
    if not isinstance(mapping, dict):
        raise MappingError.at((), f"should be an object but it is {_is_a(mapping)}")
    try:
        text = orjson.dumps(mapping)
    except TypeError:
        # Not JSON (a set, a non-string key, …): let the walk say where, without the cache.
        compiler = _Compiler()
        compiler.mapping(mapping, ())
        raise MappingError(
            compiler.issues or [MappingIssue((), "should be a JSON value")]
        ) from None
    return _compile_text(text)
