"""Segment's mapping language (mapping-kit): JSON mappings that shape a payload from an event.

    compiled = compile_mapping({"email": {"@path": "$.traits.email"}})   # MappingError if invalid
    compiled.evaluate(event)                                            # {"email": "…"}

Every documented directive is supported (`@path`, `@template`, `@if`, `@arrayPath`, `@case`,
`@replace`, `@literal`, `@json`, `@flatten`, `@merge`, `@transform`, `@excludeWhenNull`,
`@liquid`), with Segment's semantics, quirks included, as its code and tests define them.
"""

from switchboard.integrations.kit.mapping.compiler import CompiledMapping, compile_mapping
from switchboard.integrations.kit.mapping.errors import MappingError, MappingIssue

__all__ = ["CompiledMapping", "MappingError", "MappingIssue", "compile_mapping"]
