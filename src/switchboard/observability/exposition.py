"""Rendering /metrics: this process's counters (or every server process's, summed) and
gauges of shared state read from the database and Redis at scrape time."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from wsgiref.simple_server import WSGIServer

import redis
from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from rq import Queue
from sqlalchemy import Engine, func, select

from switchboard.deliveries.models import Delivery
from switchboard.deliveries.status import OPEN
from switchboard.events.models import RouteQueue
from switchboard.jobs import defaults as job_defaults
from switchboard.observability import defaults
from switchboard.observability.metrics import Metrics

log = logging.getLogger(__name__)

#: prometheus-client's switch for its multiprocess mode; `switchboard serve --workers N`
#: sets it for its server processes.
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_VARIABLE) or None


def _age(now: datetime, oldest: datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, (now - oldest).total_seconds())


class StateCollector(Collector):
    """Queue depth and the age of the oldest pending work, from the source of truth.

    Every process reports the same values, so with several replicas take `max` of them.
    A read that fails reports `switchboard_state_up 0` instead of failing the scrape.
    """

    def __init__(self, engine: Engine, connection: redis.Redis | None = None) -> None:
        self._engine = engine
        self._redis = connection
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._cached_at = float("-inf")

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._cached_at > defaults.STATE_CACHE_SECONDS:
                self._cached = self._read()
                self._cached_at = time.monotonic()
            yield from self._cached

    def _read(self) -> list[Metric]:
        up = GaugeMetricFamily(
            "switchboard_state_up", "1 if the database and Redis could be read for these gauges."
        )
        families: list[Metric] = [up]
        try:
            families.extend(self._database())
            if self._redis is not None:
                families.append(self._queue())
        except Exception as exc:  # the scrape still answers, and says the state is unknown
            log.warning("could not read the queue state for /metrics: %s", type(exc).__name__)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return families

    def _database(self) -> list[Metric]:
        now = datetime.now(UTC)
        with self._engine.connect() as conn:
            unrouted, oldest_unrouted = conn.execute(
                select(func.count(), func.min(RouteQueue.received_at))
            ).one()
            rows = conn.execute(
                select(Delivery.status, func.count(), func.min(Delivery.created_at))
                .where(Delivery.status.in_(OPEN))
                .group_by(Delivery.status)
            ).all()
        events = GaugeMetricFamily(
            "switchboard_events_unrouted", "Stored events not yet routed to their destinations."
        )
        events.add_metric([], unrouted)
        events_age = GaugeMetricFamily(
            "switchboard_events_unrouted_oldest_age_seconds",
            "Age of the oldest stored event not yet routed (0: none).",
        )
        events_age.add_metric([], _age(now, oldest_unrouted))
        open_count = GaugeMetricFamily(
            "switchboard_deliveries_open",
            "Deliveries not finished: pending (waiting for a deliver job) and retrying "
            "(retries pending).",
            labels=["status"],
        )
        by_status = {status: (count, oldest) for status, count, oldest in rows}
        for status in OPEN:
            open_count.add_metric([status], by_status.get(status, (0, None))[0])
        oldest = min((o for _, o in by_status.values() if o is not None), default=None)
        open_age = GaugeMetricFamily(
            "switchboard_deliveries_open_oldest_age_seconds",
            "Age of the oldest delivery not finished (0: none).",
        )
        open_age.add_metric([], _age(now, oldest))
        return [events, events_age, open_count, open_age]

    def _queue(self) -> Metric:
        assert self._redis is not None
        depth = GaugeMetricFamily(
            "switchboard_queue_jobs", "Jobs waiting in the Redis queue.", labels=["queue"]
        )
        depth.add_metric(
            [job_defaults.QUEUE_NAME],
            Queue(job_defaults.QUEUE_NAME, connection=self._redis).count,
        )
        return depth


class _Forward(Collector):
    """Exposes another registry's metrics inside a per-scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()


def render(metrics: Metrics, state: StateCollector | None) -> bytes:
    """The exposition text: counters of every server process when they share a multiprocess
    directory, else of this process; then the shared-state gauges."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path is not None:
        MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(metrics.registry))
    if state is not None:
        registry.register(state)
    return generate_latest(registry)


def serve_worker_metrics(
    metrics: Metrics, engine: Engine, connection: redis.Redis, port: int
) -> WSGIServer:
    """Serve this worker's /metrics (its delivery counters and the shared-state gauges) on
    `port`, all interfaces, from a daemon thread; `shutdown()` the server to stop it."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Forward(metrics.registry))
    registry.register(StateCollector(engine, connection))
    server, _thread = start_http_server(port, addr="0.0.0.0", registry=registry)  # noqa: S104
    return server
