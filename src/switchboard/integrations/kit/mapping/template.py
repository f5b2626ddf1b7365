"""mapping-kit's `@template`: `{{path}}` placeholders replaced with values from the event.

`{{{path}}}` is replaced first, then `{{path}}`; neither escapes anything. A missing or null
value becomes "", any other value its JavaScript string (`[object Object]` for an object,
comma-joined for an array). As in Segment, text produced by a `{{{…}}}` replacement is
scanned again by the `{{…}}` pass.
"""

from __future__ import annotations

import re
from typing import Any, Final

from switchboard.integrations.kit.js import MISSING, split_path, to_string, walk

_TRIPLE: Final = re.compile(r"\{\{\{([^}]+)\}\}\}")
_DOUBLE: Final = re.compile(r"\{\{([^}]+)\}\}")


def _lookup(payload: object, expression: str) -> str:
    keys = split_path(expression.strip())
    # Segment's `get` throws on a placeholder without keys ("{{..}}"); rendering it as
    # empty is the only answer that does not fail the whole event over a typo.
    value = MISSING if keys is None else walk(payload, keys)
    if value is None or value is MISSING:
        return ""
    return to_string(value)


class Template:
    """A template string, split into its literal text and placeholders once."""

    __slots__ = ("_parts", "_source", "_two_pass")

    def __init__(self, source: str) -> None:
        self._source = source
        # With `{{{…}}}` present the second pass depends on what the first produced, so
        # such templates are rendered the way Segment does, with two substitutions.
        self._two_pass = _TRIPLE.search(source) is not None
        parts: list[str | tuple[str, ...] | None] = []
        if not self._two_pass:
            position = 0
            for match in _DOUBLE.finditer(source):
                if match.start() > position:
                    parts.append(source[position : match.start()])
                parts.append(split_path(match.group(1).strip()))
                position = match.end()
            if position < len(source):
                parts.append(source[position:])
        self._parts = tuple(parts)

    def render(self, payload: Any) -> str:
        """The template with every placeholder replaced by its value in `payload`."""
        if self._two_pass:
            first = _TRIPLE.sub(lambda m: _lookup(payload, m.group(1)), self._source)
            return _DOUBLE.sub(lambda m: _lookup(payload, m.group(1)), first)
        out: list[str] = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = MISSING if part is None else walk(payload, part)
            if value is not None and value is not MISSING:
                out.append(value if isinstance(value, str) else to_string(value))
        return "".join(out)
