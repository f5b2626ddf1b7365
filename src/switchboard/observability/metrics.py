"""The Prometheus metrics a process counts, and how counts reach prometheus-client cheaply.

prometheus-client takes a lock on every update and, with several server processes (its
multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`), writes a memory-mapped file. The ingest path
serves tens of thousands of requests a second, so it never calls it per event or per request:

- the ingest writers count per flush (`record_flush`): one `inc` per source and call type;
- request latencies go into `RequestLatency`, plain per-process bucket counts owned by the
  event loop's thread (no lock), added to the histogram about once a second;
- the deliver job counts per chunk of results (`record_results`).

Gauges of shared state (queue depth, oldest pending work) are read at scrape time from the
database and Redis instead (`exposition.StateCollector`), so they are right whichever
process answers the scrape.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from prometheus_client import CollectorRegistry, Counter, Histogram

from switchboard.deliveries.status import AttemptOutcome

if TYPE_CHECKING:
    from switchboard.ingest.rows import EventRow, RejectedRow

#: Request latency buckets (seconds): single events answer in milliseconds, batches in tens.
REQUEST_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
#: Rows per group commit: 1 when idle, up to SWITCHBOARD_INGEST_MAX_ROWS_PER_COMMIT under load.
COMMIT_ROWS_BUCKETS: Final = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 20000)
#: Received → outcome recorded (seconds): from tens of milliseconds to the 4 h give-up.
DELIVERY_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 14400)
#: How long request latencies wait in a process before reaching the histogram (seconds).
FLUSH_SECONDS: Final = 1.0


def add_observations(child: Histogram, counts: Sequence[int], total: float) -> None:
    """Add pre-bucketed observations to one labelled histogram, as that many `observe` would.

    prometheus-client has no public call for this. Its histogram keeps one non-cumulative
    value per bucket (`observe` increments the first bucket that fits) and a sum, so adding
    the counts there is exactly what the observations would do. tests/ops checks the
    exposition, in both modes, against the same values observed one by one.
    """
    for value, count in zip(child._buckets, counts, strict=True):
        if count:
            value.inc(count)
    child._sum.inc(total)


class RequestLatency:
    """Request durations counted into buckets in plain lists, flushed to the histogram.

    Only the event loop's thread calls `observe` and `flush`, so there is no lock. `wait`
    lets a flusher sleep until there is something to flush: an idle server stays idle.
    """

    def __init__(self, histogram: Histogram, bounds: Sequence[float]) -> None:
        self._histogram = histogram
        self._bounds = tuple(bounds)
        self._size = len(self._bounds) + 1  # the buckets, then +Inf
        self._pending: dict[tuple[str, int], list[float]] = {}
        self._dirty = False
        self._event: asyncio.Event | None = None

    def observe(self, handler: str, status: int, seconds: float) -> None:
        counts = self._pending.get((handler, status))
        if counts is None:
            counts = self._pending[(handler, status)] = [0] * (self._size + 1)
        counts[bisect_left(self._bounds, seconds)] += 1
        counts[-1] += seconds  # the sum
        if not self._dirty:
            self._dirty = True
            if self._event is not None:
                self._event.set()

    def flush(self) -> None:
        pending, self._pending = self._pending, {}
        self._dirty = False
        if self._event is not None:
            self._event.clear()
        for (handler, status), counts in pending.items():
            child = self._histogram.labels(handler, str(status))
            add_observations(child, [int(c) for c in counts[:-1]], counts[-1])

    async def run_flusher(self) -> None:
        """Flush about once a second while requests come in; sleep while none do."""
        self._event = asyncio.Event()
        if self._dirty:
            self._event.set()
        while True:
            await self._event.wait()
            await asyncio.sleep(FLUSH_SECONDS)
            self.flush()


class Metrics:
    """Every metric a Switchboard process updates, registered in `registry`.

    With `PROMETHEUS_MULTIPROC_DIR` set before prometheus-client is imported, the values live
    in files shared by the server processes and `exposition.render` sums them; otherwise
    they live in this object and `registry` is what is exposed.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.events_accepted = Counter(
            "switchboard_events_accepted",
            "Events answered 200 and committed (duplicates included), by source and call type.",
            ["source_id", "type"],
            registry=r,
        )
        self.events_rejected = Counter(
            "switchboard_events_rejected",
            "Events refused by validation and stored as rejected, by source and call type.",
            ["source_id", "type"],
            registry=r,
        )
        self.request_duration = Histogram(
            "switchboard_http_request_duration_seconds",
            "HTTP requests by handler (single, batch, tracking, admin, ops) and status code.",
            ["handler", "status"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.commit_rows = Histogram(
            "switchboard_ingest_commit_rows",
            "Rows (accepted and rejected events) written by one group commit.",
            buckets=COMMIT_ROWS_BUCKETS,
            registry=r,
        )
        self.deliveries = Counter(
            "switchboard_deliveries",
            "Delivery attempts by destination and outcome (delivered, retry, failed).",
            ["destination_id", "outcome"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "switchboard_delivery_latency_seconds",
            "From an event's arrival to its delivery, by destination.",
            ["destination_id"],
            buckets=DELIVERY_BUCKETS,
            registry=r,
        )
        self.requests = RequestLatency(self.request_duration, REQUEST_BUCKETS)

    def record_flush(self, events: Sequence[EventRow], rejected: Sequence[RejectedRow]) -> None:
        """Count one committed group: called by the ingest writers once per flush."""
        self.commit_rows.observe(len(events) + len(rejected))
        _count_by_source_and_type(self.events_accepted, events)
        _count_by_source_and_type(self.events_rejected, rejected)

    def record_results(
        self,
        destination_id: int,
        outcomes: Iterable[tuple[int, AttemptOutcome]],
        received: Mapping[int, datetime],
    ) -> None:
        """Count the outcomes (delivery id, what the attempt came to) of one sent chunk;
        `received` maps delivery id → arrival."""
        now = datetime.now(UTC)
        tally: Tally[str] = Tally()
        bounds = DELIVERY_BUCKETS
        counts = [0] * (len(bounds) + 1)
        total = 0.0
        for delivery_id, kind in outcomes:
            tally[kind.value] += 1
            if kind is AttemptOutcome.DELIVERED and delivery_id in received:
                seconds = max(0.0, (now - received[delivery_id]).total_seconds())
                counts[bisect_left(bounds, seconds)] += 1
                total += seconds
        label = str(destination_id)
        for kind_name, count in tally.items():
            self.deliveries.labels(label, kind_name).inc(count)
        if any(counts):
            add_observations(self.delivery_latency.labels(label), counts, total)


def _count_by_source_and_type(counter: Counter, rows: Sequence[EventRow | RejectedRow]) -> None:
    if not rows:
        return
    for (source_id, call_type), count in Tally((r.source_id, r.type) for r in rows).items():
        counter.labels("none" if source_id is None else str(source_id), call_type or "unknown").inc(
            count
        )
