"""Where jobs run: two backends behind one seam, running the same job functions.

- `InlineQueue`: a thread pool inside `switchboard serve` (no Redis configured).
- `RQQueue`: RQ on Redis; `switchboard worker` processes run the jobs.

Jobs carry ids, never payloads: the database is the source of truth and a lost job only
delays work (the scheduler finds it again).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final, Protocol

import redis
from rq import Queue

from switchboard.jobs import defaults

log = logging.getLogger(__name__)


class JobQueue(Protocol):
    def enqueue_route(self, event_ids: Sequence[int]) -> None: ...

    def enqueue_deliver(self, destination_id: int, delivery_ids: Sequence[int]) -> None: ...

    def close(self) -> None: ...


class InlineQueue:
    """Runs jobs on a thread pool in this process. `runner` is set once the context exists."""

    def __init__(self, threads: int = defaults.INLINE_THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="switchboard-job")
        self.route: Callable[[Sequence[int]], None] | None = None
        self.deliver: Callable[[int, Sequence[int]], None] | None = None
        self._closed = False

    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        if self._closed:
            return  # shutting down: the scheduler picks the work up after restart
        future: Future[None] = self._pool.submit(fn, *args)
        future.add_done_callback(_log_failure)

    def enqueue_route(self, event_ids: Sequence[int]) -> None:
        assert self.route is not None
        self._submit(self.route, list(event_ids))

    def enqueue_deliver(self, destination_id: int, delivery_ids: Sequence[int]) -> None:
        assert self.deliver is not None
        self._submit(self.deliver, destination_id, list(delivery_ids))

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=False)


def _log_failure(future: Future[None]) -> None:
    error = future.exception()
    if error is not None:
        log.error("job failed: %r (its work is retried by the scheduler)", error)


_ROUTE: Final = "switchboard.jobs.tasks.route_task"
_DELIVER: Final = "switchboard.jobs.tasks.deliver_task"
Job = tuple[str, tuple[Any, ...]]


def merge_jobs(batch: Sequence[Job]) -> list[Job]:
    """The jobs of `batch` with route jobs merged (up to `ROUTE_BATCH` event ids each) and
    deliver jobs merged per destination (up to `DELIVER_BATCH` delivery ids each)."""
    routes: list[int] = []
    delivers: dict[int, list[int]] = {}
    for func, args in batch:
        if func == _ROUTE:
            routes.extend(args[0])
        else:
            delivers.setdefault(args[0], []).extend(args[1])
    jobs: list[Job] = []
    for start in range(0, len(routes), defaults.ROUTE_BATCH):
        jobs.append((_ROUTE, (routes[start : start + defaults.ROUTE_BATCH],)))
    for destination_id, ids in delivers.items():
        for start in range(0, len(ids), defaults.DELIVER_BATCH):
            jobs.append((_DELIVER, (destination_id, ids[start : start + defaults.DELIVER_BATCH])))
    return jobs


class RQQueue:
    """Enqueues into RQ. Enqueueing happens on a background thread so the ingest event loop
    never waits on Redis; if Redis is down the jobs are lost and the scheduler redoes them."""

    def __init__(
        self,
        connection: redis.Redis,
        name: str = defaults.QUEUE_NAME,
        job_timeout: float = defaults.LEASE_SECONDS + 60,
        linger: float = defaults.ENQUEUE_LINGER_SECONDS,
    ) -> None:
        self.queue = Queue(name, connection=connection)
        # RQ stops a job after 180 s by default; a deliver job may rightly take up to its
        # lease, so it gets the lease and a margin.
        self._job_timeout = int(job_timeout)
        self._pending: queue.SimpleQueue[tuple[str, tuple[Any, ...]] | None] = queue.SimpleQueue()
        self._linger = linger
        self._thread = threading.Thread(target=self._run, name="switchboard-enqueue", daemon=True)
        self._thread.start()

    def enqueue_route(self, event_ids: Sequence[int]) -> None:
        self._pending.put((_ROUTE, (list(event_ids),)))

    def enqueue_deliver(self, destination_id: int, delivery_ids: Sequence[int]) -> None:
        self._pending.put((_DELIVER, (destination_id, list(delivery_ids))))

    def _run(self) -> None:
        last = -float("inf")
        while True:
            item = self._pending.get()
            if item is None:
                return
            # Under load, gather what arrives within the linger into fewer, bigger jobs: RQ
            # spends ~3.7 ms of a worker's CPU on each job whatever it carries (measured here
            # with no-op jobs), more than routing or sending a whole batch. When idle, `last`
            # is long past and nothing waits.
            pause = self._linger - (time.monotonic() - last)
            if pause > 0:
                time.sleep(pause)
            batch = [item]
            while len(batch) < 5000:  # drain what queued up meanwhile: one round trip
                try:
                    more = self._pending.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._pending.put(None)
                    break
                batch.append(more)
            last = time.monotonic()
            jobs = merge_jobs(batch)
            try:
                with self.queue.connection.pipeline() as pipe:
                    for func, args in jobs:
                        self.queue.enqueue_call(
                            func,
                            args=args,
                            timeout=self._job_timeout,
                            result_ttl=0,
                            failure_ttl=86400,
                            pipeline=pipe,
                        )
                    pipe.execute()
            except redis.RedisError as exc:
                log.warning("could not enqueue %d jobs (%s); the scheduler will", len(jobs), exc)

    def close(self) -> None:
        self._pending.put(None)
        self._thread.join(10)
