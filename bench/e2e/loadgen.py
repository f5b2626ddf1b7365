"""Open-loop load: `POST /v1/batch` requests sent on a clock, whatever the answers do.

Like wrk2, each request has a scheduled time (`start + n * interval`); the generator sleeps
until then and sends, never waiting for earlier answers. If the server falls behind,
requests pile up in flight (up to the pool's connection limit, then they queue here and go
out late: `sent_ns - scheduled_ns` shows it). Every event carries a unique messageId
`<tag>-<step>-<request>-<k>` and a current `timestamp`, so the sink's records can be joined
back to the request that carried them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from bench.e2e.http import Pool

# ~300 bytes of properties and a context, like bench/ingest/ingest.lua's track calls.
_PROPERTIES: Final = (
    b'{"plan":"enterprise","revenue":129.99,"currency":"USD","sku":"SKU-0001-XL",'
    b'"category":"Benchmarks","label":"switchboard end-to-end benchmark","coupon":"WINTER-2026",'
    b'"quantity":3,"referrer":"https://example.com/pricing?utm_source=bench&utm_medium=cpc",'
    b'"note":"lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod"}'
)
_CONTEXT: Final = b'{"library":{"name":"bench.e2e","version":"1.0.0"},"locale":"en-US"}'
_EVENT: Final = (
    b'{"type":"track","userId":"user-%d","event":"E2E Bench Event","properties":'
    + _PROPERTIES
    + b',"context":'
    + _CONTEXT
    + b',"timestamp":"%s","messageId":"%s"}'
)
_SECOND_NS: Final = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Step:
    """One constant-rate stretch of load."""

    index: int  # goes into the messageIds; unique per run
    name: str
    rate: float  # events per second offered
    duration_s: float
    measured: bool = True


@dataclass(slots=True)
class Request:
    """One /v1/batch request and what became of it."""

    step: int
    number: int
    events: int
    scheduled_ns: int
    sent_ns: int = 0  # 0: never written (no connection, timed out waiting)
    answered_ns: int = 0
    status: int = 0  # HTTP status; 0: no answer
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True, slots=True)
class Window:
    """When a step's load ran (`time.monotonic_ns()`)."""

    start_ns: int
    end_ns: int

    @property
    def seconds(self) -> float:
        return (self.end_ns - self.start_ns) / _SECOND_NS


def message_id(tag: str, step: int, number: int, k: int) -> str:
    return f"{tag}-{step}-{number}-{k}"


def parse_message_id(value: str) -> tuple[str, int, int] | None:
    """(tag, step, request number) of a messageId this generator made, else None."""
    parts = value.split("-")
    if len(parts) != 4 or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return parts[0], int(parts[1]), int(parts[2])


class LoadGenerator:
    def __init__(
        self,
        pool: Pool,
        *,
        authorization: str,
        tag: str,
        batch_size: int,
        timeout_s: float = 30.0,
    ) -> None:
        self.pool = pool
        self.authorization = authorization
        self.tag = tag
        self.batch_size = batch_size
        self.timeout_s = timeout_s
        self.requests: list[Request] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._headers = {
            "Content-Type": "application/json",
            "Authorization": authorization,
            "User-Agent": "bench.e2e",
        }

    def body(self, step: int, number: int, events: int) -> bytes:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").encode()
        items = [
            _EVENT % (k % 1000, now, message_id(self.tag, step, number, k).encode())
            for k in range(events)
        ]
        return b'{"batch":[' + b",".join(items) + b'],"sentAt":"' + now + b'"}'

    @property
    def acked_events(self) -> int:
        return sum(r.events for r in self.requests if r.ok)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def run_step(self, step: Step) -> Window:
        """Send `step.rate` events/s for `step.duration_s` on the clock; return its window.

        Sends still in flight at the end carry on in the background (`finish` waits)."""
        interval_ns = self.batch_size * _SECOND_NS / step.rate
        count = max(1, round(step.duration_s * step.rate / self.batch_size))
        start_ns = time.monotonic_ns()
        end_ns = start_ns + int(step.duration_s * _SECOND_NS)
        for number in range(count):  # bounded by the step's request count
            due_ns = start_ns + int(number * interval_ns)
            delay_ns = due_ns - time.monotonic_ns()
            if delay_ns > 0:
                await asyncio.sleep(delay_ns / _SECOND_NS)
            request = Request(step.index, number, self.batch_size, due_ns)
            self.requests.append(request)
            task = asyncio.create_task(self._send(request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        rest_ns = end_ns - time.monotonic_ns()
        if rest_ns > 0:
            await asyncio.sleep(rest_ns / _SECOND_NS)
        return Window(start_ns, max(end_ns, time.monotonic_ns()))

    async def _send(self, request: Request) -> None:
        payload = self.body(request.step, request.number, request.events)
        wire = self.pool.build("POST", "/v1/batch", payload, self._headers)
        try:
            response = await self.pool.send(wire, self.timeout_s)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, RuntimeError) as exc:
            request.error = f"{type(exc).__name__}: {exc}"[:200]
            return
        request.sent_ns = response.sent_ns
        request.answered_ns = response.answered_ns
        request.status = response.status
        if response.status != 200:
            request.error = response.body[:200].decode(errors="replace")

    async def finish(self, timeout_s: float) -> int:
        """Wait for the sends in flight (at most `timeout_s`); return how many were cut off."""
        pending = set(self._tasks)
        if not pending:
            return 0
        _, late = await asyncio.wait(pending, timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=5)
        return len(late)
