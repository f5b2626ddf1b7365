"""Every timing and sizing constant of the background jobs, with its unit and reason."""

from __future__ import annotations

from typing import Final

#: Deliveries handed to one deliver job. Big enough to amortise a job's overhead (RQ manages
#: a few hundred jobs a second), small enough that one job stays short.
DELIVER_BATCH: Final = 200
#: Event ids handed to one route job at most, when the enqueuer merges route jobs.
ROUTE_BATCH: Final = 2000
#: Under load, the enqueuer waits this long after one round trip to Redis before the next
#: (seconds), so the jobs asked for meanwhile go as fewer, bigger jobs (see `jobs/queue.py`).
#: When idle it does not wait. Adds at most this much latency to an event's delivery.
ENQUEUE_LINGER_SECONDS: Final = 0.05
#: How long connecting to Redis may take (seconds).
REDIS_CONNECT_TIMEOUT_SECONDS: Final = 5.0
#: How long one Redis command may wait for its answer (seconds). Without it a Redis that hangs
#: rather than stops (paused, swapping, a half-open connection) would block the enqueue thread,
#: the limiter and the scheduler's lease forever; with it the call fails with a TimeoutError,
#: which each of them already handles as Redis being down. None of them sends a blocking
#: command. RQ's worker does (BLMOVE), so it has a connection of its own: `RQ_SOCKET_TIMEOUT`.
REDIS_SOCKET_TIMEOUT_SECONDS: Final = 5.0
#: Events per adapter.send call inside a deliver job (one commit of outcomes each).
SEND_CHUNK: Final = 100
#: How long a claimed delivery belongs to its job (seconds); after that the scheduler
#: assumes the job died (kill -9) and hands the delivery to another. Renewed after every
#: chunk; it must outlast one chunk's worst case (5 webhook URLs timing out at 30 s each).
LEASE_SECONDS: Final = 300.0
#: A pending delivery not claimed within this many seconds is enqueued again (its job was
#: lost, e.g. Redis was flushed).
REQUEUE_AFTER_SECONDS: Final = 15.0
#: An event not routed within this many seconds of arriving is routed by the scheduler.
UNROUTED_AFTER_SECONDS: Final = 10.0
#: The scheduler's period (seconds): due retries fire at most this late. Each tick is two
#: indexed queries, so an idle server stays idle.
SCHEDULER_TICK_SECONDS: Final = 1.0
#: Rows the scheduler takes per query.
SCHEDULER_SCAN_LIMIT: Final = 5000
#: When a destination's concurrency cap or rate limit is reached, wait this long before
#: trying its deliveries again (seconds).
THROTTLED_RETRY_SECONDS: Final = 1.0
#: The longest a deliver job sleeps in-line for the rate limiter before giving the worker
#: back and letting the scheduler retry (seconds).
MAX_INLINE_RATE_WAIT: Final = 1.0
#: The longest a job's deliveries are put off for the rate limiter (seconds): a few of its
#: one-second windows.
MAX_RATE_REST_SECONDS: Final = 3.0
#: How many in-line rate-limit waits one chunk may take before the job gives up the worker.
MAX_RATE_WAITS: Final = 5
#: Threads of the in-process executor (`switchboard serve` without Redis).
INLINE_THREADS: Final = 8
#: RQ queue name.
QUEUE_NAME: Final = "switchboard"
