"""One place that wires a process: `build_runtime(settings)` makes every shared part once.

`switchboard serve` (`create_app`), `switchboard worker` (`run_worker`) and the CLI commands
all start from a `Runtime`: the database engine and session factory, the settings box, the
adapters registry, the queue backend (RQ when SWITCHBOARD_REDIS_URL is set, else the
in-process executor), the rate and concurrency limiter, the shared HTTP client, the process's
metrics and the `JobContext` the jobs take. Nothing is connected until first use, and
`Runtime.close()` releases what `build_runtime` opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

import httpx
import redis
from rq.defaults import DEFAULT_WORKER_TTL
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from switchboard.db.engine import make_engine, make_sessionmaker
from switchboard.destinations.addresses import guarded_transport
from switchboard.destinations.crypto import SettingsBox
from switchboard.destinations.service import DestinationService
from switchboard.integrations.base import Adapter
from switchboard.integrations.registry import load_adapters
from switchboard.jobs import defaults
from switchboard.jobs.context import JobContext, Timing
from switchboard.jobs.deliver import deliver
from switchboard.jobs.limits import Limiter, LocalLimiter, RedisLimiter
from switchboard.jobs.queue import InlineQueue, JobQueue, RQQueue
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


@dataclass(frozen=True)
class Runtime:
    """The parts a process shares, made once by `build_runtime`: the settings, the
    `JobContext` (engine, sessions, box, adapters, queue, limiter, HTTP client, metrics,
    which the properties below lend to the rest of the process, so what a request changes the
    jobs see) and the short-timeout Redis client of queue and limiter (None without
    SWITCHBOARD_REDIS_URL)."""

    settings: Settings
    jobs: JobContext
    redis: redis.Redis | None = None

    @property
    def engine(self) -> Engine:
        return self.jobs.engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.jobs.sessions

    @property
    def box(self) -> SettingsBox:
        return self.jobs.box

    @property
    def adapters(self) -> Mapping[str, Adapter]:
        return self.jobs.adapters

    @property
    def queue(self) -> JobQueue:
        return self.jobs.queue

    @property
    def limiter(self) -> Limiter:
        return self.jobs.limiter

    @property
    def http(self) -> httpx.Client:
        return self.jobs.http

    @property
    def metrics(self) -> Metrics:
        return self.jobs.metrics

    def destinations(self, session: Session) -> DestinationService:
        """The destination service on `session` (the caller commits)."""
        return DestinationService(
            session,
            self.box,
            self.adapters,
            allow_private=self.settings.allow_private_destinations,
        )

    def close(self) -> None:
        """Finish the queued enqueues (or in-process jobs), then close the HTTP client, the
        Redis connections and the database pool."""
        self.queue.close()
        self.http.close()
        if self.redis is not None:
            self.redis.close()
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_runtime(
    settings: Settings, *, engine: Engine | None = None, metrics: Metrics | None = None
) -> Runtime:
    """Everything shared, for one process: RQ and Redis limits when SWITCHBOARD_REDIS_URL is
    set, else the in-process executor and local limits.

    `engine` defaults to `make_engine(settings.database_url)` (the worker passes its
    `make_job_engine`); the runtime owns it either way and disposes it on `close()`.
    `metrics` is where the jobs count outcomes (a fresh set by default)."""
    engine = engine if engine is not None else make_engine(settings.database_url)
    metrics = metrics if metrics is not None else Metrics()
    sessions = make_sessionmaker(engine)
    box = SettingsBox(settings.secret_key.get_secret_value() if settings.secret_key else None)
    adapters = load_adapters()
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
    connection: redis.Redis | None = None
    queue: JobQueue
    limiter: Limiter
    inline: InlineQueue | None = None
    if settings.redis_url:
        connection = redis_client(settings.redis_url)
        queue = RQQueue(connection, job_timeout=timing.lease + 60)
        limiter = RedisLimiter(connection)
    else:
        queue = inline = InlineQueue()
        limiter = LocalLimiter()
    jobs = JobContext(
        engine=engine,
        sessions=sessions,
        box=box,
        adapters=adapters,
        queue=queue,
        limiter=limiter,
        http=http,
        timing=timing,
        metrics=metrics,
    )
    if inline is not None:
        _run_inline(inline, jobs)
    return Runtime(settings=settings, jobs=jobs, redis=connection)


def _run_inline(inline: InlineQueue, jobs: JobContext) -> None:
    """Point the in-process executor at the jobs, run with `jobs`."""

    def run_route(ids: Sequence[int]) -> None:
        route_events(jobs, ids)

    def run_deliver(destination_id: int, ids: Sequence[int]) -> None:
        deliver(jobs, destination_id, ids)

    inline.route = run_route
    inline.deliver = run_deliver
