"""Build the job machinery for a process: the context, its queue backend, the scheduler."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import redis
from sqlalchemy import Engine

from switchboard.db.engine import make_sessionmaker
from switchboard.destinations.addresses import guarded_transport
from switchboard.destinations.crypto import SettingsBox
from switchboard.integrations.registry import load_adapters
from switchboard.jobs.context import JobContext, Timing
from switchboard.jobs.deliver import deliver
from switchboard.jobs.limits import LocalLimiter, RedisLimiter
from switchboard.jobs.queue import InlineQueue, RQQueue
from switchboard.jobs.route import route_events
from switchboard.observability.metrics import Metrics
from switchboard.settings import Settings


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
        connection = redis.Redis.from_url(settings.redis_url)
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
