"""The scheduler: finds work the database says is due and hands it to the queue.

- events not routed a few seconds after arriving (their route job was lost);
- deliveries whose retry time has come, whose lease expired (the job died), or that were
  never claimed (the queue lost the job, e.g. Redis was flushed).

The queue never holds the only copy of anything, so after any crash this loop recovers the
work. It ticks once a second with two indexed queries: idle means idle.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from switchboard.deliveries import store as deliveries_store
from switchboard.events import store as events_store
from switchboard.jobs import defaults
from switchboard.jobs.context import JobContext

log = logging.getLogger(__name__)


class Recent:
    """Event ids this scheduler handed out lately, so a backlog is not enqueued every tick.

    Marking them in the database would rewrite each 1 KB event row; the scheduler is a
    single leader, so remembering them here for `requeue_after` seconds is enough.
    """

    def __init__(self) -> None:
        self._until: dict[int, float] = {}

    def fresh(self, ids: list[int], hold: float) -> list[int]:
        now = time.monotonic()
        if len(self._until) > 200_000:
            self._until = {k: v for k, v in self._until.items() if v > now}
        chosen = [i for i in ids if self._until.get(i, 0.0) <= now]
        for i in chosen:
            self._until[i] = now + hold
        return chosen


def tick(ctx: JobContext, recent: Recent | None = None) -> tuple[int, int]:
    """One pass; returns (events queued for routing, deliveries queued for sending)."""
    now = datetime.now(UTC)
    with ctx.engine.begin() as conn:
        unrouted = events_store.unrouted(
            conn, now - timedelta(seconds=ctx.timing.unrouted_after), defaults.SCHEDULER_SCAN_LIMIT
        )
        # Handed-out rows are due again later, so the next tick does not hand them out again
        # while their job waits in the queue.
        due = deliveries_store.hand_out_due(
            conn,
            now,
            now + timedelta(seconds=ctx.timing.requeue_after),
            defaults.SCHEDULER_SCAN_LIMIT,
        )
    if recent is not None:
        unrouted = recent.fresh(unrouted, ctx.timing.requeue_after)
    for start in range(0, len(unrouted), 1000):
        ctx.queue.enqueue_route(unrouted[start : start + 1000])
    by_destination: dict[int, list[int]] = defaultdict(list)
    for delivery_id, destination_id in due:
        by_destination[destination_id].append(delivery_id)
    for destination_id, ids in by_destination.items():
        ids.sort()
        for start in range(0, len(ids), defaults.DELIVER_BATCH):
            ctx.queue.enqueue_deliver(destination_id, ids[start : start + defaults.DELIVER_BATCH])
    return len(unrouted), len(due)


class SchedulerThread:
    """Runs `tick` every `period` seconds on a daemon thread until `stop()`.

    `should_run` lets several worker processes share one scheduler: only the holder of a
    Redis lock ticks (see `switchboard.cli`)."""

    def __init__(
        self,
        ctx: JobContext,
        period: float | None = None,
        should_run: object = None,
    ) -> None:
        self._ctx = ctx
        self._period = ctx.timing.tick if period is None else period
        self._should_run = should_run
        self._stop = threading.Event()
        self._recent = Recent()
        self._thread = threading.Thread(target=self._run, name="switchboard-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self._period):
            if callable(self._should_run) and not self._should_run():
                continue
            try:
                tick(self._ctx, self._recent)
            except Exception:  # a database hiccup: log, and try again next tick
                log.exception("scheduler tick failed")
