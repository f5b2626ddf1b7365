"""Nothing acknowledged is lost: crashes, a flushed Redis, limits and a hanging destination."""

from __future__ import annotations

import itertools
import json
import signal
import time

import pytest

from switchboard.deliveries.status import Status
from tests.fakes.sink import Reply, Sink
from tests.pipeline.conftest import Pipeline, track


def delivered_ids(sink: Sink) -> set[str]:
    return {json.loads(r.body)["messageId"] for r in sink.requests}


def test_kill_9_of_a_worker_mid_batch_loses_nothing(pipeline: Pipeline) -> None:
    if pipeline.kind != "rq":
        pytest.skip("worker processes exist only with RQ")
    with Sink(default=Reply(200, delay=0.02)) as sink:
        dest = pipeline.destination(settings={"urls": [sink.url]})
        pipeline.send(*[track(i) for i in range(300)])
        pipeline.wait_until(lambda: len(sink.requests) >= 30, what="the worker to be mid-batch")
        [worker] = pipeline.workers
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert len(delivered_ids(sink)) < 300  # it really died mid-way
        pipeline.start_worker()
        pipeline.wait_statuses({Status.DELIVERED: 300}, dest["id"], timeout=60)
        assert delivered_ids(sink) == {f"m{i}" for i in range(300)}  # at least once


def test_flushall_of_redis_mid_run_loses_nothing(pipeline: Pipeline) -> None:
    if pipeline.kind != "rq":
        pytest.skip("the in-process queue has no Redis")
    broker = pipeline.redis
    assert broker is not None
    with Sink() as sink:
        dest = pipeline.destination(settings={"urls": [sink.url]})
        [worker] = pipeline.workers
        worker.send_signal(signal.SIGKILL)  # nobody takes jobs: they wait in Redis
        worker.wait(10)
        pipeline.send(*[track(i) for i in range(100)])
        pipeline.wait_until(lambda: broker.keys("rq:queue:*") != [], what="queued jobs")
        broker.flushall()
        pipeline.start_worker()
        pipeline.send(*[track(i) for i in range(100, 150)])
        pipeline.wait_statuses({Status.DELIVERED: 150}, dest["id"], timeout=60)
        assert delivered_ids(sink) == {f"m{i}" for i in range(150)}


def test_two_workers_never_exceed_the_concurrency_cap(pipeline: Pipeline) -> None:
    if pipeline.kind == "rq":
        pipeline.start_worker()
    with Sink(default=Reply(200, delay=0.1)) as sink:
        dest = pipeline.destination(settings={"urls": [sink.url]}, max_concurrency=1)
        for batch in range(6):  # several requests: several route and deliver jobs
            pipeline.send(*[track(batch * 5 + i) for i in range(5)])
        deliveries = pipeline.wait_statuses({Status.DELIVERED: 30}, dest["id"], timeout=60)
    spans = sorted(
        (e["started_at"], e["started_at"] + e["duration_ms"] / 1000)
        for d in deliveries
        for a in pipeline.attempts(d.id)
        for e in a.exchanges
    )
    assert len(spans) == 30
    overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1] - 0.005]
    assert overlaps == [], f"{len(overlaps)} sends overlapped despite max_concurrency=1"


def test_a_hanging_destination_does_not_slow_a_healthy_one(pipeline: Pipeline) -> None:
    with Sink(default=Reply(200, delay=30)) as stuck, Sink() as healthy:
        slow = pipeline.destination("stuck", settings={"urls": [stuck.url], "timeout_seconds": 1.0})
        fast = pipeline.destination("healthy", settings={"urls": [healthy.url]})
        started = time.monotonic()
        for batch in range(4):
            pipeline.send(*[track(batch * 10 + i) for i in range(10)])
        pipeline.wait_statuses({Status.DELIVERED: 40}, fast["id"], timeout=15)
        took = time.monotonic() - started
        pipeline.wait_until(
            lambda: any(d.code == "timeout" for d in pipeline.deliveries(slow["id"])),
            what="the stuck destination's first timeout",
        )
        stuck_rows = pipeline.deliveries(slow["id"])
    assert took < 6, f"the healthy destination took {took:.1f} s"
    assert {d.status for d in stuck_rows} <= {Status.PENDING, Status.RETRYING}
