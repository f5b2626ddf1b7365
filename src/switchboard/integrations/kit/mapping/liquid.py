"""mapping-kit's `@liquid`: a Liquid template rendered against the event, sandboxed.

Rendered by python-liquid with the limits Segment puts on liquidjs: templates of at most
1,000 characters, the tags that loop or load other templates disabled (`case`, `for`,
`include`, `layout`, `render`, `tablerow`), and the same twenty array and type filters
disabled. The environment has no loader, so nothing reaches the file system, and its output
and local variables are bounded (Segment bounds render time and memory instead; python-liquid
offers these two limits, and with loops disabled they bound the work too).
"""

from __future__ import annotations

from functools import cache
from typing import Any, ClassVar, Final, NoReturn

from liquid import BoundTemplate, DictLoader, Environment
from liquid.exceptions import FilterError, LiquidError, LiquidSyntaxError
from liquid.stream import TokenStream
from liquid.tag import Tag

MAX_TEMPLATE_LENGTH: Final = 1000
"""Segment's `parseLimit`: longer `@liquid` templates are refused."""

MAX_OUTPUT_BYTES: Final = 100_000
"""A rendered value is one field of one payload; 100 kB is far past any vendor's field."""

MAX_LOCALS_BYTES: Final = 100_000
"""What `assign`/`capture` may hold while rendering, for the same reason."""

DISABLED_TAGS: Final = ("case", "for", "include", "layout", "render", "tablerow")
DISABLED_FILTERS: Final = (
    "array_to_sentence_string",
    "concat",
    "find",
    "find_exp",
    "find_index",
    "find_index_exp",
    "group_by",
    "group_by_exp",
    "has",
    "has_exp",
    "map",
    "newline_to_br",
    "reject",
    "reject_exp",
    "reverse",
    "sort",
    "sort_natural",
    "uniq",
    "where_exp",
    "type",
)


class LiquidTemplateError(ValueError):
    """A template that is refused or fails to render; the message says why."""


class _SandboxEnvironment(Environment):
    output_stream_limit: ClassVar[int | None] = MAX_OUTPUT_BYTES
    local_namespace_limit: ClassVar[int | None] = MAX_LOCALS_BYTES
    loop_iteration_limit: ClassVar[int | None] = 0


class _DisabledTag(Tag):
    block = False

    def parse(self, stream: TokenStream) -> NoReturn:
        # A syntax error, so that the environment reports it as the template's own fault.
        raise LiquidSyntaxError(f'tag "{self.name}" is disabled', token=stream.current)


def _disabled_filter(name: str) -> Any:
    def refuse(*_args: object, **_kwargs: object) -> NoReturn:
        raise FilterError(f'filter "{name}" is disabled', token=None)

    return refuse


@cache
def _environment() -> Environment:
    # liquidjs, which Segment uses, ignores a filter it does not know (strictFilters is off).
    env = _SandboxEnvironment(loader=DictLoader({}), strict_filters=False)
    for name in DISABLED_TAGS:
        env.add_tag(type(f"Disabled_{name}", (_DisabledTag,), {"name": name}))
    for name in DISABLED_FILTERS:
        env.add_filter(name, _disabled_filter(name))
    return env


class _JSObject(dict[str, Any]):
    """An event object as liquidjs prints it when a template outputs it whole."""

    def __str__(self) -> str:
        return "[object Object]"


def _as_javascript_sees_it(value: Any) -> Any:
    """The event with the values liquidjs would print differently made to print the same.

    JSON numbers are JavaScript numbers, so `10.0` prints as "10" (python-liquid would print
    "10.0"), and an object output whole prints as "[object Object]" (not a Python dict).
    """
    if isinstance(value, dict):
        return _JSObject((key, _as_javascript_sees_it(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_as_javascript_sees_it(item) for item in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _reason(error: LiquidError) -> str:
    return error.message if isinstance(error.message, str) and error.message else str(error)


class LiquidTemplate:
    """A parsed `@liquid` template; parsing refuses what Segment refuses."""

    __slots__ = ("_template",)

    def __init__(self, source: str) -> None:
        if len(source) > MAX_TEMPLATE_LENGTH:
            raise LiquidTemplateError(
                f"liquid template values are limited to {MAX_TEMPLATE_LENGTH} characters"
            )
        try:
            self._template: BoundTemplate = _environment().from_string(source)
        except LiquidError as error:
            raise LiquidTemplateError(_reason(error)) from error

    def render(self, payload: object) -> str:
        """The template rendered with the event's top-level keys as its variables."""
        data = _as_javascript_sees_it(payload) if isinstance(payload, dict) else {}
        try:
            return self._template.render(data)
        except LiquidError as error:
            raise LiquidTemplateError(_reason(error)) from error
