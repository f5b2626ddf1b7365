"""Build the job machinery for a process: the context, its queue backend, the scheduler."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import httpx
import redis
from rq.defaults import DEFAULT_WORKER_TTL
from sqlalchemy import Engine

from switchboard.db.engine import make_sessionmaker
from switchboard.destinations.addresses import guarded_transport
from switchboard.destinations.crypto import SettingsBox
from switchboard.integrations.registry import load_adapters
from switchboard.jobs import defaults
from switchboard.jobs.context import JobContext, Timing
from switchboard.jobs.deliver import deliver
from switchboard.jobs.limits import LocalLimiter, RedisLimiter
from switchboard.jobs.queue import InlineQueue, RQQueue
from switchboard.jobs.route import route_events
from switchboard.observability.metrics import Metrics
from switchboard.settings import Settings

#: The socket timeout of the RQ worker's own connection (seconds). RQ's worker waits for a job
#: with BLMOVE for up to its dequeue timeout, worker_ttl - 15 s (405 s with RQ's default TTL
#: of 420 s), and raises a lower socket timeout of the connection it is given to that + 10 s,
#: for the whole connection pool. A whole TTL is above what it asks, so RQ keeps it, and the
#: worker's connection is not shared with the clients that keep `REDIS_SOCKET_TIMEOUT_SECONDS`.
RQ_SOCKET_TIMEOUT: Final = float(DEFAULT_WORKER_TTL)


def redis_client(
    url: str, *, socket_timeout: float = defaults.REDIS_SOCKET_TIMEOUT_SECONDS
) -> redis.Redis:
    """A Redis client that gives up on a Redis that hangs: connecting within
    `REDIS_CONNECT_TIMEOUT_SECONDS`, each command within `socket_timeout`."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=defaults.REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_timeout=socket_timeout,
    )


def build_context(settings: Settings, engine: Engine, metrics: Metrics | None = None) -> JobContext:
    """RQ + Redis limits when SWITCHBOARD_REDIS_URL is set; otherwise in-process.

    `metrics` is where deliver jobs count outcomes (the server's own, in-process)."""
    metrics = metrics if metrics is not None else Metrics()
    box = SettingsBox(settings.secret_key.get_secret_value() if settings.secret_key else None)
    timing = Timing(
        lease=settings.delivery_lease_seconds,
        requeue_after=settings.requeue_after_seconds,
        unrouted_after=settings.unrouted_after_seconds,
        tick=settings.scheduler_tick_seconds,
    )
    # Without the private-destinations allowance, every connection is checked where it is
    # made (after DNS), not only when the settings were saved: see destinations/addresses.py.
    http = httpx.Client(
        follow_redirects=False,
        headers={"user-agent": "Switchboard"},
        transport=None if settings.allow_private_destinations else guarded_transport(),
    )
    if settings.redis_url:
        connection = redis_client(settings.redis_url)
        return JobContext(
            engine=engine,
            sessions=make_sessionmaker(engine),
            box=box,
            adapters=load_adapters(),
            queue=RQQueue(connection, job_timeout=timing.lease + 60),
            limiter=RedisLimiter(connection),
            http=http,
            timing=timing,
            metrics=metrics,
        )
    inline = InlineQueue()
    ctx = JobContext(
        engine=engine,
        sessions=make_sessionmaker(engine),
        box=box,
        adapters=load_adapters(),
        queue=inline,
        limiter=LocalLimiter(),
        http=http,
        timing=timing,
        metrics=metrics,
    )

    def run_route(ids: Sequence[int]) -> None:
        route_events(ctx, ids)

    def run_deliver(destination_id: int, ids: Sequence[int]) -> None:
        deliver(ctx, destination_id, ids)

    inline.route = run_route
    inline.deliver = run_deliver
    return ctx
