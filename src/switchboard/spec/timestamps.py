"""Lenient ISO-8601 parsing and Segment's output format for timestamps.

Clients send `Z` or numeric offsets, milli- or microseconds (sometimes nanoseconds),
date-only strings, naive local-looking times and, rarely, epoch numbers. Everything is
returned as an aware UTC datetime.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_FRACTION = re.compile(r"(\.\d{6})\d+")


class TimestampError(ValueError):
    """The value is not a timestamp we can read."""


def parse_timestamp(value: object) -> datetime:
    """Return `value` as an aware UTC datetime, or raise `TimestampError` saying why not.

    Naive times are taken as UTC. Numbers are epoch seconds, or milliseconds when they are
    too large to be seconds.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            # Nanosecond fractions (Go, Java) and a lower-case `z` are the usual misses.
            fixed = _FRACTION.sub(r"\1", text)
            if fixed.endswith(("z", "Z")):
                fixed = fixed[:-1] + "+00:00"
            try:
                parsed = datetime.fromisoformat(fixed)
            except ValueError:
                raise TimestampError(f"{value!r} is not an ISO-8601 timestamp") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            parsed = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise TimestampError(f"{value!r} is out of range for a timestamp") from None
    else:
        raise TimestampError(f"{value!r} is not a timestamp")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """Segment's output form: UTC, millisecond precision, `Z` suffix."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text[:-6] + "Z"
