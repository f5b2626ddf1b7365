"""A vendor's own API limits, held across every worker: calls per rolling window, calls at once.

Vendors count calls in a rolling window ("100 calls in the past 20 s") and refuse the call
that goes over, so a counter per clock second is not enough: two full seconds can meet across
a boundary. Both limits are kept with the slots of the shared limiter (`SendContext.limiter`,
Redis with the RQ backend), each slot a member of a sorted set that expires by itself:

- window: each call takes a slot before it is sent, and keeps it until `window` seconds after
  its answer. At most `calls` slots are live, so no `window`-long stretch of time sees more
  than `calls` calls arrive at the vendor, whichever worker sent them.
- concurrency: each call holds a second slot while it is in flight, at most `concurrent`.

A call that finds either limit full waits, polling, for at most `max_wait` seconds in all;
then it is not sent, and its events get a temporary outcome (`rate_limited`,
`concurrency_limited`) instead of a refusal from the vendor that would cost its quota.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from switchboard.integrations.base import CallLimiter, Outcome

#: How often a waiting call asks the limiter again (seconds): short next to any vendor window,
#: long next to one Redis round trip.
POLL_SECONDS: Final = 0.05


@dataclass(frozen=True, slots=True)
class Limits:
    """One vendor instance's limits, as its documentation (or the destination's settings) give
    them."""

    calls: int | None  # per window; None: no limit
    window: float  # seconds
    concurrent: int | None  # None: no limit
    vendor: str  # for the reasons: "Marketo", "Marketing Cloud"


class Budget:
    """The limits of one vendor instance (`key`), for the calls of one send."""

    def __init__(
        self,
        limiter: CallLimiter | None,
        key: str,
        limits: Limits,
        *,
        max_wait: float,
        call_timeout: float,
    ) -> None:
        self._limiter = limiter
        self._key = key
        self._limits = limits
        self._max_wait = max_wait
        # A slot outlives the longest call it can cover, so that only a dead worker's slots
        # expire while in flight: the call's own timeout, twice (a token fetch may come
        # first), and the wait.
        self._in_flight_ttl = 2 * call_timeout + max_wait + 1.0

    @property
    def window_key(self) -> str:
        return f"{self._key}:window"

    @property
    def concurrency_key(self) -> str:
        return f"{self._key}:concurrent"

    @contextmanager
    def call(self) -> Iterator[Outcome | None]:
        """Hold room for one call. Yields None when the call may be sent now, or the temporary
        outcome to give instead when no room came within the wait. Without a limiter (the
        event tester) there is always room."""
        limiter = self._limiter
        limits = self._limits
        if limiter is None:
            yield None
            return
        deadline = time.monotonic() + self._max_wait
        counted = None
        if limits.calls is not None:
            counted = self._wait_for(self.window_key, limits.calls, deadline)
            if counted is None:
                reason = (
                    f"this {limits.vendor} instance's budget of {limits.calls} calls per "
                    f"{limits.window:g} s is used up"
                )
                yield Outcome.temporary(reason, "rate_limited", limits.window)
                return
        slot = None
        if limits.concurrent is not None:
            slot = self._wait_for(self.concurrency_key, limits.concurrent, deadline)
            if slot is None:
                if counted is not None:
                    limiter.release_slot(self.window_key, counted)  # nothing was sent
                reason = f"{limits.concurrent} calls to this {limits.vendor} instance are in flight"
                yield Outcome.temporary(reason, "concurrency_limited", 1.0)
                return
        try:
            yield None
        finally:
            if slot is not None:
                limiter.release_slot(self.concurrency_key, slot)
            if counted is not None:
                # The call is counted until a whole window after its answer: it reached the
                # vendor at some moment before that answer.
                limiter.renew_slot(self.window_key, counted, limits.window)

    def _wait_for(self, key: str, cap: int, deadline: float) -> str | None:
        assert self._limiter is not None
        while True:
            slot = self._limiter.acquire_slot(key, cap, self._in_flight_ttl)
            if slot is not None:
                return slot
            if time.monotonic() + POLL_SECONDS > deadline:
                return None
            time.sleep(POLL_SECONDS)
