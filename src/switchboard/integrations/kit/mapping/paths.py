"""Paths into an event, as mapping-kit's `@path` and `{{placeholders}}` read them.

A path is dot notation with optional brackets: `$.properties.items[0].sku`, `traits.email`,
`integrations.Actions Amplitude.session_id`. The leading `$.` is optional; `""`, `"."` and
`"$."` are the whole event. Brackets only separate keys (`a['b']` looks up the key `'b'`,
quotes included, as Segment's `get` does), and a key is never split further, so a key that
contains a dot can only be reached with an array path (`["integrations", "Company.Billing"]`).
"""

from __future__ import annotations

from switchboard.integrations.kit.js import split_path


def directive_path_keys(path: str) -> tuple[str, ...] | None:
    """The keys `@path` walks: the first `$.` in the path is dropped, then it is split.

    `()` is the whole event; None means the path names no key at all (e.g. "..").
    """
    return split_path(path.replace("$.", "", 1))
