"""What a vendor counts to enforce its API limits, for the fake vendor servers.

    meter = Meter(calls=100, window=20.0, concurrent=10)
    over = meter.enter()        # on arrival: None, or "rate" / "concurrency" when over a limit
    ...answer...
    meter.leave()               # when the answer is ready
    assert meter.most_in_window <= 100 and meter.most_in_flight <= 10

Calls are counted in a rolling window (every call that arrived in the past `window` seconds,
refused or not) and in flight (arrived, not yet answered), as Marketo counts them. The
highest counts ever seen and every refusal stay readable, so a test can show from the
vendor's side that a limit was never exceeded.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Literal

Over = Literal["rate", "concurrency"]


class Meter:
    def __init__(
        self, calls: int | None = None, window: float = 1.0, concurrent: int | None = None
    ) -> None:
        self.calls = calls
        self.window = window
        self.concurrent = concurrent
        self._lock = threading.Lock()
        self._arrivals: deque[float] = deque()
        self._in_flight = 0
        self._most_in_window = 0
        self._most_in_flight = 0
        self._refusals: list[Over] = []
        self._total = 0

    def enter(self) -> Over | None:
        """Count one arriving call; the limit it goes over, if any (the call is then refused
        and must still `leave`)."""
        now = time.monotonic()
        with self._lock:
            while self._arrivals and self._arrivals[0] <= now - self.window:
                self._arrivals.popleft()
            self._arrivals.append(now)
            self._in_flight += 1
            self._total += 1
            self._most_in_window = max(self._most_in_window, len(self._arrivals))
            self._most_in_flight = max(self._most_in_flight, self._in_flight)
            over: Over | None = None
            if self.calls is not None and len(self._arrivals) > self.calls:
                over = "rate"
            elif self.concurrent is not None and self._in_flight > self.concurrent:
                over = "concurrency"
            if over is not None:
                self._refusals.append(over)
            return over

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    @property
    def most_in_window(self) -> int:
        """The most calls that ever arrived within one `window`."""
        with self._lock:
            return self._most_in_window

    @property
    def most_in_flight(self) -> int:
        with self._lock:
            return self._most_in_flight

    @property
    def refusals(self) -> list[Over]:
        with self._lock:
            return list(self._refusals)

    @property
    def total(self) -> int:
        with self._lock:
            return self._total
