"""Time repeated requests against the running server: median and p95 per request."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import httpx


@dataclass(frozen=True, slots=True)
class Timed:
    name: str
    path: str
    median_ms: float
    p95_ms: float
    status: int
    bytes: int
    error: str | None = None


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_get(client: httpx.Client, name: str, path: str, *, repeat: int, warmup: int) -> Timed:
    """GET `path` `warmup` times unmeasured, then `repeat` times; fails on a non-200 answer."""
    samples: list[float] = []
    status, size = 0, 0
    for n in range(warmup + repeat):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{name}: GET {path} answered {response.status_code}")
        status, size = response.status_code, len(response.content)
        if n >= warmup:
            samples.append(elapsed)
    return Timed(name, path, statistics.median(samples), _p95(samples), status, size)


def time_first_message(
    client: httpx.Client, name: str, path: str, *, repeat: int, warmup: int
) -> Timed:
    """Time from request to the end of the stream's first `rows` message (the backlog: the
    search itself). Earlier messages (`retry:`) are sent before any query runs."""
    samples: list[float] = []
    size = 0
    for n in range(warmup + repeat):
        started = time.perf_counter()
        received = b""
        with client.stream("GET", path) as response:
            if response.status_code != 200:
                raise RuntimeError(f"{name}: GET {path} answered {response.status_code}")
            for chunk in response.iter_raw():
                received += chunk
                start = received.find(b"event: rows\n")
                if start >= 0 and b"\n\n" in received[start:]:
                    break
        elapsed = (time.perf_counter() - started) * 1000
        size = len(received)
        if n >= warmup:
            samples.append(elapsed)
    return Timed(name, path, statistics.median(samples), _p95(samples), 200, size)
