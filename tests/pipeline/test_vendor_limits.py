"""Each vendor's API limits hold across two real RQ workers, counted by the fake vendors.

The limits are scaled down (a one-second window, one call in flight) so that the test takes
seconds; the code path is the one Marketo's 100 calls per 20 s and 10 in flight take. Every
event is its own ingest request, sent while both workers are paused, so that routing queues
one deliver job per event and destination before either worker runs: both then send to
each vendor at once. Each fake counts, as the vendor would, the
calls in its rolling window and in flight, and refuses what goes over (606/615, 429). Without
the limits the two workers overlap and go over (`tests/integrations/test_budget.py` shows the
budget itself); with them, the fakes never count more than allowed, refuse nothing, and every
event is delivered.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from rq import Worker

from switchboard.deliveries.status import Status
from tests.fakes.marketo import FakeMarketo
from tests.fakes.pendo import INTEGRATION_KEY, TRACK_SECRET, FakePendo
from tests.fakes.sfmc import FakeSFMC
from tests.pipeline.conftest import Pipeline
from tests.pipeline.test_marketo import ORDER_TYPE, marketo_destination, order
from tests.pipeline.test_sfmc import sfmc_destination

#: Quick retries for events that a full budget sends back (after 5 s of waiting for room).
QUICK_RETRY = {"base_delay": 0.2, "max_delay": 0.5, "max_retry_after": 0.5}
#: How long each fake takes to answer: long enough for calls of two workers to overlap.
LATENCY = 0.15
EVENTS = 6


@contextmanager
def paused(pipeline: Pipeline) -> Iterator[None]:
    """Both workers registered with RQ, then stopped (SIGSTOP) until the block ends."""
    deadline = time.monotonic() + 60
    while len(Worker.all(connection=pipeline.redis)) < 2:
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.05)
    for worker in pipeline.workers:
        worker.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for worker in pipeline.workers:
            worker.send_signal(signal.SIGCONT)


def deliver_with_both_workers(pipeline: Pipeline, destination: dict[str, Any], first: int) -> None:
    """Send `EVENTS` events to `destination` alone, one deliver job each, and wait until
    every one is delivered; then remove the destination so the next vendor has the workers."""
    with paused(pipeline):
        for n in range(first, first + EVENTS):
            pipeline.send(order(n))
    pipeline.wait_statuses({Status.DELIVERED: EVENTS}, destination["id"], timeout=60)
    response = pipeline.admin.delete(f"/api/v1/destinations/{destination['id']}")
    assert response.status_code == 204


def test_vendor_limits_hold_across_two_workers(pipeline: Pipeline) -> None:
    if pipeline.kind != "rq":
        pytest.skip("limits across worker processes need the RQ backend")
    pipeline.start_worker()

    types = {ORDER_TYPE: frozenset({"orderTotal"})}
    with FakeMarketo(
        activity_types=types, rate_limit=(6, 1.0), max_concurrent=1, latency=LATENCY
    ) as marketo:
        limits = {"calls_per_window": 6, "window_seconds": 1, "max_concurrent_calls": 1}
        dest = marketo_destination(pipeline, marketo, limits, retry=QUICK_RETRY)
        deliver_with_both_workers(pipeline, dest, 0)
        # A lead lookup and an activity per event (the token counts in our budget only).
        assert (marketo.meter.refusals, marketo.meter.most_in_flight) == ([], 1)
        assert marketo.meter.most_in_window <= 6
        assert len(marketo.activities) == EVENTS

    with FakeSFMC(rate_limit=(4, 1.0), max_concurrent=1, latency=LATENCY) as sfmc:
        limits = {"max_requests_per_second": 4, "max_concurrent_requests": 1}
        dest = sfmc_destination(pipeline, sfmc, limits, retry=QUICK_RETRY)
        deliver_with_both_workers(pipeline, dest, 100)
        assert (sfmc.meter.refusals, sfmc.meter.most_in_flight) == ([], 1)
        assert sfmc.meter.most_in_window <= 4
        assert len(sfmc.journey_entries) == EVENTS

    # Pendo publishes no limits: these are the ones configured on the destination.
    with FakePendo(rate_limit=(4, 1.0), max_concurrent=1, latency=LATENCY) as pendo:
        settings = {
            "integration_key": INTEGRATION_KEY,
            "track_event_secret": TRACK_SECRET,
            "api_base_url": pendo.url,
            "max_requests_per_second": 4,
            "max_concurrent_requests": 1,
        }
        dest = pipeline.destination("pendo", type="pendo", settings=settings, retry=QUICK_RETRY)
        deliver_with_both_workers(pipeline, dest, 200)
        assert (pendo.meter.refusals, pendo.meter.most_in_flight) == ([], 1)
        assert pendo.meter.most_in_window <= 4
        assert len(pendo.events) == EVENTS
