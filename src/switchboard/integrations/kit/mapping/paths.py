"""Paths into an event, as mapping-kit's `@path` and `{{placeholders}}` read them.

A path is dot notation with optional brackets: `$.properties.items[0].sku`, `traits.email`,
`integrations.Actions Amplitude.session_id`. The leading `$.` is optional; `""`, `"."` and
`"$."` are the whole event. Brackets only separate keys (`a['b']` looks up the key `'b'`,
quotes included, as Segment's `get` does), and a key is never split further, so a key that
contains a dot can only be reached with an array path (`["integrations", "Company.Billing"]`).
"""

from __future__ import annotations

import re
from typing import Final

_KEY: Final = re.compile(r"[^\[.\]]+")


def path_keys(path: str) -> tuple[str, ...] | None:
    """The keys `path` walks, `()` for the whole value; None if it names no key (e.g. "..")."""
    if path in ("", "."):
        return ()
    keys = tuple(_KEY.findall(path))
    return keys or None


def directive_path_keys(path: str) -> tuple[str, ...] | None:
    """`path_keys` after `@path`'s own step: the first `$.` in the path is dropped."""
    return path_keys(path.replace("$.", "", 1))
