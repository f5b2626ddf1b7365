"""The time ranges the event delivery view offers (10 minutes to 14 days), each with the
bucket size of its trend chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Window:
    """A time range the event delivery view offers, and its trend bucket size."""

    name: str
    seconds: int
    bucket_seconds: int


WINDOWS: Final[dict[str, Window]] = {
    w.name: w
    for w in (
        Window("10m", 600, 60),
        Window("1h", 3600, 300),
        Window("24h", 86_400, 3600),
        Window("7d", 7 * 86_400, 6 * 3600),
        Window("14d", 14 * 86_400, 12 * 3600),
    )
}


def parse_window(name: str) -> Window:
    """The window called `name`; ValueError naming the allowed ones otherwise."""
    try:
        return WINDOWS[name]
    except KeyError:
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}") from None
