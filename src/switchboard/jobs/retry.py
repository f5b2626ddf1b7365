"""The retry policy, in one place and as data.

Which answers are temporary (retry) and which are permanent (fail at once), how long to wait
between tries (exponential backoff with full jitter, honouring `Retry-After`), and when to
give up. A destination may override any field (`destinations.retry`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

#: Segment's documented list: request timeout, locked, rate limited, and server errors
#: except 501 Not Implemented (which will not start working by itself).
DEFAULT_RETRY_STATUSES = frozenset({408, 423, 429}) | (frozenset(range(500, 600)) - {501})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    #: First backoff ceiling; each try doubles it up to `max_delay`.
    base_delay: float = 1.0
    max_delay: float = 600.0
    #: After this long since the event arrived, a delivery that still fails is given up.
    give_up_after: float = 4 * 3600.0
    #: The longest `Retry-After` we honour (a destination asking for days is capped).
    max_retry_after: float = 3600.0
    jitter: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def with_overrides(self, overrides: dict[str, Any] | None) -> RetryPolicy:
        """This policy with a destination's overrides applied (unknown keys ignored)."""
        if not overrides:
            return self
        changes: dict[str, Any] = {}
        for key in ("base_delay", "max_delay", "give_up_after", "max_retry_after"):
            if key in overrides and overrides[key] is not None:
                changes[key] = float(overrides[key])
        if overrides.get("retry_statuses") is not None:
            changes["retry_statuses"] = frozenset(int(s) for s in overrides["retry_statuses"])
        return replace(self, **changes)

    def is_retryable(self, status: int) -> bool:
        return status in self.retry_statuses

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the `attempts`-th failed try.

        Full jitter: uniform between 0 and min(max_delay, base_delay * 2**(attempts-1)),
        so retries from many events spread out instead of arriving together. A
        `Retry-After` from the destination is a floor.
        """
        ceiling = min(self.max_delay, self.base_delay * (2 ** max(0, attempts - 1)))
        wait = self.jitter.uniform(0, ceiling)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after))
        return wait


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: an integer, or an HTTP date. None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
