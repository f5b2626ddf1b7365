"""Segment's mapping language (mapping-kit): JSON mappings that shape a payload from an event.

    compiled = compile_mapping({"email": {"@path": "$.traits.email"}})   # MappingError if invalid
    compiled.evaluate(event)                                            # {"email": "…"}

Every documented directive is supported (`@path`, `@template`, `@if`, `@arrayPath`, `@case`,
`@replace`, `@literal`, `@json`, `@flatten`, `@merge`, `@transform`, `@excludeWhenNull`,
`@liquid`), with Segment's semantics, quirks included, as its code and tests define them.

Where this differs from Segment, on purpose:

- A mapping that Segment would fail on for every event is refused when compiled, not when
  evaluated (an `@if` without "exists"/"blank", a `@case` operator other than lower/upper,
  a `@liquid` template that does not parse, a `@path` with no key), and validation looks
  inside arrays and raw objects, which Segment's validator skips.
- An undefined item of an array is null in the result (what Segment's JSON output holds).
- A placeholder with no key (`{{..}}`) renders as "" where Segment's `get` throws.
- Segment's internal `__segment_internal_directive` root key is not a directive here.
- `@liquid` runs on python-liquid rather than liquidjs: the same language and the same
  disabled tags and filters, bounded by output and variable size rather than render time.
"""

from switchboard.integrations.kit.mapping.compiler import CompiledMapping, compile_mapping
from switchboard.integrations.kit.mapping.errors import MappingError, MappingIssue

__all__ = ["CompiledMapping", "MappingError", "MappingIssue", "compile_mapping"]
