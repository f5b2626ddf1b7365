"""A third-party adapter through the whole pipeline; unsupported calls; rate limits."""

from __future__ import annotations

import json

import pytest

from switchboard.deliveries.models import Status
from tests.fakes.sink import Sink
from tests.integrations.test_plugins import install_plugin
from tests.pipeline.conftest import Pipeline, track


@pytest.fixture(scope="session")
def echo_plugin() -> None:
    install_plugin()  # idempotent; servers and workers load entry points when they start


@pytest.mark.slow
def test_plugin_adapter_delivers_and_unsupported_calls_are_skipped_visibly(
    echo_plugin: None, pipeline: Pipeline
) -> None:
    with Sink() as sink:
        dest = pipeline.destination("echo", type="echo", settings={"url": sink.url})
        pipeline.send(
            track(1),
            {"type": "identify", "userId": "u2", "messageId": "m2"},
            {"type": "page", "userId": "u3", "name": "Home", "messageId": "m3"},
        )
        rows = pipeline.wait_statuses({Status.DELIVERED: 2, Status.UNSUPPORTED: 1}, dest["id"])
        assert sorted(json.loads(r.body)["messageId"] for r in sink.requests) == ["m1", "m2"]
    [skipped] = [d for d in rows if d.status == Status.UNSUPPORTED]
    assert skipped.reason == "Echo does not support page calls"
    assert skipped.attempts == 0


def test_rate_limit_holds_across_workers(pipeline: Pipeline) -> None:
    if pipeline.kind == "rq":
        pipeline.start_worker()
    with Sink() as sink:
        dest = pipeline.destination(settings={"urls": [sink.url]}, rate_limit_per_second=10)
        for batch in range(4):
            pipeline.send(*[track(batch * 10 + i) for i in range(10)])
        deliveries = pipeline.wait_statuses({Status.DELIVERED: 40}, dest["id"], timeout=30)
    starts = sorted(
        e["started_at"] for d in deliveries for a in pipeline.attempts(d.id) for e in a.exchanges
    )
    assert len(starts) == 40
    per_second: dict[int, int] = {}
    for moment in starts:
        per_second[int(moment)] = per_second.get(int(moment), 0) + 1
    assert max(per_second.values()) <= 10, per_second
    # 40 sends at 10 per one-second window need four windows: at least three boundaries.
    assert starts[-1] - starts[0] >= 2.0
