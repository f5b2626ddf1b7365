"""The optional per-source ingestion rate limit: a token bucket per source, in this process.

A source with `rate_limit_per_second = R` gets R tokens a second, up to R held (one second
of burst). A request is let in while its source's bucket holds a whole token, and then takes
one token per message it carries, which may leave the bucket in debt: a batch larger than R
still gets through, and the debt is paid off before the next one. Over time no more than R
messages a second get in. A request that is refused stores nothing and is told how many
whole seconds to wait (`Retry-After`, which every SDK honours).

The buckets are per server process, like the destinations' limits without Redis: with N
processes a source may send up to N times R. Asking Redis on every request would put a network
round trip on the hot path, and ingestion must keep working while Redis is down.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping


class IngestRateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # source -> (tokens, as of)

    def admit(self, demand: Mapping[int, tuple[float, int]]) -> tuple[int, int] | None:
        """Take `count` tokens for each `source: (rate, count)` and return None; or take
        nothing and return a refused source and the whole seconds until it has tokens."""
        now = self._clock()
        levels: dict[int, float] = {}
        refused: tuple[int, int] | None = None
        for source, (rate, _) in demand.items():
            tokens, since = self._buckets.get(source, (rate, now))
            level = min(rate, tokens + (now - since) * rate)
            levels[source] = level
            if level < 1:
                wait = max(1, math.ceil((1 - level) / rate))
                if refused is None or wait > refused[1]:
                    refused = (source, wait)
        if refused is not None:
            return refused
        for source, (_, count) in demand.items():
            self._buckets[source] = (levels[source] - count, now)
        return None
