"""A third-party kit destination through the whole pipeline; unmatched calls; rate limits."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from pydantic import BaseModel

from switchboard.deliveries.status import Status
from switchboard.integrations.base import Adapter, Message, Result, SendContext
from tests.fakes.sink import Sink
from tests.integrations.test_plugins import install_plugin
from tests.pipeline.conftest import Pipeline, track


@pytest.fixture(scope="session")
def echo_plugin() -> None:
    install_plugin()  # idempotent; servers and workers load entry points when they start


@pytest.mark.system
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
    assert skipped.reason == (
        "no mapping's trigger matches this page event ('Track calls', 'Identify calls')"
    )
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


class _BrokenSettings(BaseModel):
    token: str


class _BrokenAdapter(Adapter):
    """A third-party adapter with a bug that puts its secret in the exception message."""

    type = "broken"
    display_name = "Broken"
    supported_calls = frozenset({"track"})
    settings_model = _BrokenSettings

    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        assert isinstance(settings, _BrokenSettings)
        raise RuntimeError(f"cannot use token {settings.token}")


def test_an_adapter_that_raises_keeps_the_events_and_leaks_no_secret(pipeline: Pipeline) -> None:
    if pipeline.kind != "inline":
        pytest.skip("the adapter lives in this process only")
    adapters = pipeline.server.app.runtime.adapters
    assert isinstance(adapters, dict)
    adapters["broken"] = _BrokenAdapter()
    dest = pipeline.destination("broken", type="broken", settings={"token": "tok-SECRET-42"})
    pipeline.send(track(1))
    pipeline.wait_until(
        lambda: any((d.reason or "").startswith("adapter error") for d in pipeline.deliveries()),
        what="the adapter error to be recorded",
    )
    [delivery] = pipeline.deliveries(dest["id"])
    assert delivery.status == Status.PENDING  # kept, to be tried again
    assert "RuntimeError" in (delivery.reason or "")
    assert "tok-SECRET-42" not in (delivery.reason or "")
