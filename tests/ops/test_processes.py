"""The production shape as real processes: several server processes, SIGTERM under load,
two servers and two workers on one Postgres and one Redis."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import select

from switchboard.db.engine import make_engine
from switchboard.db.migrate import upgrade
from switchboard.deliveries.models import Delivery
from switchboard.events.models import Event
from tests.conftest import empty_postgres, postgres_or_skip
from tests.ops.stack import (
    Receiver,
    admin,
    environment,
    free_port,
    processes,
    redis_or_skip,
    start_serve,
    start_worker,
    wait_until,
)
from tests.ops.test_metrics import sample

pytestmark = pytest.mark.system


@pytest.fixture
def database_url() -> str:
    url = postgres_or_skip()
    upgrade(url)
    empty_postgres(url)
    return url


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = redis_or_skip()
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _stored(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(select(Event.message_id)))
    finally:
        engine.dispose()


async def _load(
    url: str, write_key: str, stop_after: float, on_time: float, tag: str
) -> tuple[set[str], list[float], list[int]]:
    """Batches of 20 from 24 concurrent clients until the server stops answering; returns
    the acknowledged messageIds, when each acknowledgement came, and any 5xx statuses."""
    acked: set[str] = set()
    ack_times: list[float] = []
    errors: list[int] = []
    deadline = time.monotonic() + stop_after

    async def client(n: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            k = 0
            while time.monotonic() < deadline:
                k += 1
                ids = [f"{tag}-{n}-{k}-{i}" for i in range(20)]
                body = {
                    "writeKey": write_key,
                    "batch": [
                        {"type": "track", "userId": "u", "event": "E", "messageId": m} for m in ids
                    ],
                }
                try:
                    response = await http.post("/v1/batch", json=body)
                except httpx.TransportError:
                    return  # the server has closed: what was not answered was not acknowledged
                if response.status_code == 200:
                    acked.update(ids)
                    ack_times.append(time.monotonic() - on_time)
                elif response.status_code >= 500:
                    errors.append(response.status_code)

    await asyncio.gather(*(client(n) for n in range(24)))
    return acked, ack_times, errors


def test_two_server_processes_sum_metrics_and_sigterm_loses_no_acknowledged_event(
    tmp_path: Path, database_url: str
) -> None:
    env = environment(database_url, None, shutdown_timeout_seconds=20)
    with processes() as running:
        serve = start_serve("serve", env, tmp_path, workers=2)
        running.append(serve)
        with admin(serve.url) as api:
            source = api.post("/api/v1/sources", json={"name": "load"}).json()
        write_key = source["write_key"]

        # Each request on a new connection, so both server processes take some.
        for n in range(30):
            response = httpx.post(
                serve.url + "/v1/track",
                auth=(write_key, ""),
                json={"userId": "u", "event": "E", "messageId": f"warm-{n}"},
            )
            assert response.status_code == 200
        pids = set()
        for _ in range(8):
            scrape = httpx.get(serve.url + "/metrics", headers={"connection": "close"})
            accepted = sample(
                scrape.text,
                "switchboard_events_accepted_total",
                source_id=str(source["id"]),
                type="track",
            )
            assert accepted == 30  # whichever process answers, it sums both
            pids.add(scrape.headers["x-request-id"].partition("-")[0])
        assert len(pids) == 2, "both server processes should have answered a scrape"

        # Load, then SIGTERM in the middle of it.
        sigterm_at = time.monotonic() + 1.5

        async def load_and_stop() -> tuple[set[str], list[float], list[int]]:
            loop = asyncio.get_running_loop()
            loop.call_at(
                loop.time() + (sigterm_at - time.monotonic()),
                serve.popen.send_signal,
                signal.SIGTERM,
            )
            return await _load(serve.url, write_key, 20.0, sigterm_at, "load")

        acked, ack_times, errors = asyncio.run(load_and_stop())
        serve.stop_gracefully(30)

    stored = _stored(database_url)
    load_stored = {m for m in stored if m.startswith("load-")}
    assert len(acked) > 200, "the load should have been acknowledged in part"
    missing = acked - load_stored
    assert not missing, f"{len(missing)} acknowledged events were not stored"
    assert errors == [], f"requests answered with {errors} during shutdown"
    # Requests in flight at SIGTERM were still answered (after their commit).
    assert any(t > 0 for t in ack_times), "no request in flight at SIGTERM was answered"
    print(
        f"acknowledged {len(acked)}, stored {len(load_stored)}, "
        f"answered after SIGTERM: {sum(t > 0 for t in ack_times)} requests"
    )


def test_two_servers_two_workers_deliver_everything_within_global_limits(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    rate, total = 100, 600
    env = environment(
        database_url,
        redis_url,
        # The lease keeps its production default (300 s): a stopped worker must hand its
        # work back, not leave it to the lease.
        requeue_after_seconds=2,
        unrouted_after_seconds=1,
        scheduler_tick_seconds=0.2,
    )
    receiver = Receiver(delay=0.02)
    with receiver.serving() as hook, processes() as running:
        serves = [start_serve(f"serve-{n}", env, tmp_path) for n in (1, 2)]
        running.extend(serves)
        metrics_port = free_port()
        workers = [
            start_worker("worker-1", env, tmp_path),
            start_worker("worker-2", env, tmp_path, metrics_port=metrics_port),
        ]
        running.extend(workers)
        with admin(serves[0].url) as api:
            source = api.post("/api/v1/sources", json={"name": "scale"}).json()
            destination = api.post(
                "/api/v1/destinations",
                json={
                    "name": "limited",
                    "type": "webhook",
                    "source_ids": [source["id"]],
                    "settings": {"urls": [hook], "batch_size": 10},
                    "rate_limit_per_second": rate,
                    "max_concurrency": 2,
                },
            )
            assert destination.status_code == 201, destination.text
        sent: set[str] = set()
        for n in range(total // 50):
            ids = [f"s{n}-{i}" for i in range(50)]
            response = httpx.post(
                serves[n % 2].url + "/v1/batch",
                json={
                    "writeKey": source["write_key"],
                    "batch": [
                        {"type": "track", "userId": "u", "event": "E", "messageId": m} for m in ids
                    ],
                },
                timeout=30,
            )
            assert response.status_code == 200, response.text
            sent.update(ids)

        # A worker stopped mid-run (a scale-down) hands back what it has not sent.
        wait_until(lambda: receiver.count() >= total // 4, 60, "a quarter delivered")
        stopping = time.monotonic()
        workers[0].stop_gracefully(30)
        stop_took = time.monotonic() - stopping

        try:
            wait_until(lambda: receiver.message_ids() >= sent, 60, "every event delivered")
        except AssertionError:
            _explain(database_url, workers, len(sent - receiver.message_ids()))
            raise
        scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        for process in [*serves, workers[1]]:
            process.stop_gracefully(30)

    arrivals = sorted(receiver.arrivals, key=lambda a: a.at)
    span = arrivals[-1].at - arrivals[0].at
    # 600 events at 100/s across two workers: at least ~5 s if the limit holds globally
    # (each worker alone allowed 100/s would make it ~3 s).
    assert span >= (total / rate - 1) * 0.9, f"{total} events in {span:.1f} s: over {rate}/s"
    assert receiver.max_in_flight <= 2, f"{receiver.max_in_flight} requests at once, cap 2"
    assert stop_took < 15, f"the stopped worker took {stop_took:.1f} s to finish"
    engine = make_engine(database_url)
    with engine.connect() as conn:
        statuses = set(conn.scalars(select(Delivery.status)))
    engine.dispose()
    assert statuses == {"delivered"}
    delivered = sample(
        scrape,
        "switchboard_deliveries_total",
        destination_id=str(destination.json()["id"]),
        outcome="delivered",
    )
    assert 0 < delivered <= total  # worker-2's own share
    assert sample(scrape, "switchboard_deliveries_open", status="pending") == 0
    assert sample(scrape, "switchboard_queue_jobs", queue="switchboard") == 0


def _explain(database_url: str, workers: list[Any], missing: int) -> None:
    """What the deliveries and the workers said when not everything arrived."""
    from sqlalchemy import text

    from switchboard.db.engine import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT status, count(*), min(next_attempt_at), max(attempts), "
                "min(lease_until) FROM deliveries GROUP BY status"
            )
        ).all()
    engine.dispose()
    print(f"{missing} not at the receiver; deliveries: {rows}; now {time.time()}")
    for worker in workers:
        print(f"--- {worker.name}:\n" + "\n".join(worker.log_lines()[-40:]))
