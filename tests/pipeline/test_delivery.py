"""Events reach webhook sinks on loopback, with the retry rules, on both backends."""

from __future__ import annotations

import json

from switchboard.deliveries.status import Status
from tests.fakes.sink import Reply, Sink
from tests.pipeline.conftest import Pipeline, track


def test_events_are_delivered_once_to_each_destination(pipeline: Pipeline) -> None:
    with Sink() as first, Sink() as second:
        a = pipeline.destination("first", settings={"urls": [first.url]})
        b = pipeline.destination("second", settings={"urls": [second.url]})
        pipeline.send(*[track(i) for i in range(20)])
        pipeline.wait_statuses({Status.DELIVERED: 20}, a["id"])
        pipeline.wait_statuses({Status.DELIVERED: 20}, b["id"])
        for sink in (first, second):
            ids = sorted(json.loads(r.body)["messageId"] for r in sink.requests)
            assert ids == sorted(f"m{i}" for i in range(20))


def test_integrations_object_and_filters_decide_and_say_why(pipeline: Pipeline) -> None:
    with Sink() as sink:
        hook = pipeline.destination("hook", settings={"urls": [sink.url]})
        only_orders = pipeline.destination(
            "orders only",
            settings={"urls": [sink.url]},
            filters={"allow_events": ["Order Completed"]},
        )
        pipeline.send(
            track(1, integrations={"All": False}),
            track(2, integrations={"hook": False}),
            track(3, integrations={"All": False, "Webhooks": {"note": "x"}}),
            track(4, event="Page Scrolled"),
        )
        by_hook = {
            d.event_id: d
            for d in pipeline.wait_statuses({Status.SKIPPED: 2, Status.DELIVERED: 2}, hook["id"])
        }
        by_orders = {
            d.event_id: d
            for d in pipeline.wait_statuses(
                {Status.SKIPPED: 1, Status.DELIVERED: 2, Status.FILTERED: 1}, only_orders["id"]
            )
        }
    assert "All is false" in (by_hook[1].reason or "")
    assert "'hook' is false" in (by_hook[2].reason or "")
    assert by_hook[3].options == {"note": "x"}
    assert by_orders[2].status == Status.DELIVERED  # only "hook" was turned off
    assert by_orders[4].status == Status.FILTERED
    assert (by_orders[4].reason or "").startswith("filter:")


def test_500_then_200_is_delivered_once_after_a_retry(pipeline: Pipeline) -> None:
    with Sink(Reply(500, body="boom")) as sink:
        dest = pipeline.destination(
            settings={"urls": [sink.url]}, retry={"base_delay": 0.2, "max_delay": 0.5}
        )
        pipeline.send(track(1))
        [delivery] = pipeline.wait_statuses({Status.DELIVERED: 1}, dest["id"])
        assert len(sink.requests) == 2
    assert delivery.attempts == 2
    first, second = pipeline.attempts(delivery.id)
    assert first.outcome == "retry"
    assert first.code == "http_500"
    assert second.outcome == "delivered"
    assert first.exchanges[0]["status"] == 500


def test_429_retry_after_is_honoured(pipeline: Pipeline) -> None:
    with Sink(Reply(429, headers={"Retry-After": "2"})) as sink:
        dest = pipeline.destination(
            settings={"urls": [sink.url]}, retry={"base_delay": 0.1, "max_delay": 0.2}
        )
        pipeline.send(track(1))
        [delivery] = pipeline.wait_statuses({Status.DELIVERED: 1}, dest["id"], timeout=30)
    first, second = pipeline.attempts(delivery.id)
    assert first.code == "http_429"
    assert (second.created_at - first.created_at).total_seconds() >= 2.0


def test_400_fails_at_once_with_a_readable_reason(pipeline: Pipeline) -> None:
    with Sink(default=Reply(400, body='{"error":"email is invalid"}')) as sink:
        dest = pipeline.destination(settings={"urls": [sink.url]})
        pipeline.send(track(1))
        [delivery] = pipeline.wait_statuses({Status.FAILED: 1}, dest["id"])
        assert len(sink.requests) == 1
    assert delivery.attempts == 1
    assert "400" in (delivery.reason or "")
    assert "email is invalid" in (delivery.reason or "")


def test_replay_sends_failed_deliveries_again(pipeline: Pipeline) -> None:
    with Sink(Reply(400), Reply(400)) as sink:
        dest = pipeline.destination(settings={"urls": [sink.url]})
        pipeline.send(track(1), track(2))
        pipeline.wait_statuses({Status.FAILED: 2}, dest["id"])
        answer = pipeline.admin.post(f"/api/v1/destinations/{dest['id']}/replay", json={})
        assert answer.json() == {"queued": 2}
        pipeline.wait_statuses({Status.DELIVERED: 2}, dest["id"])
        assert len(sink.requests) == 4


def test_event_detail_and_stats_show_what_happened(pipeline: Pipeline) -> None:
    with Sink(Reply(503), default=Reply(200)) as sink:
        dest = pipeline.destination(
            settings={"urls": [sink.url]}, retry={"base_delay": 0.1, "max_delay": 0.2}
        )
        pipeline.send(track(1))
        [delivery] = pipeline.wait_statuses({Status.DELIVERED: 1}, dest["id"])
    detail = pipeline.admin.get(f"/api/v1/events/{delivery.event_id}").json()
    [shown] = detail["deliveries"]
    assert shown["status"] == "delivered"
    assert [a["outcome"] for a in shown["attempt_log"]] == ["retry", "delivered"]
    assert shown["attempt_log"][0]["exchanges"][0]["status"] == 503
    stats = pipeline.admin.get(f"/api/v1/destinations/{dest['id']}/delivery-stats").json()
    assert stats["counts"]["delivered"] == 1
    assert stats["latency_ms"]["p50"] is not None
    listed = pipeline.admin.get(
        "/api/v1/deliveries", params={"destination_id": dest["id"], "status": "delivered"}
    ).json()
    assert [d["id"] for d in listed["data"]] == [delivery.id]
