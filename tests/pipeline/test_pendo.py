"""Events reach a fake Pendo through the whole pipeline, on both backends."""

from __future__ import annotations

import json
from typing import Any

from switchboard.deliveries.status import Status
from tests.fakes.pendo import INTEGRATION_KEY, TRACK_SECRET, FakePendo
from tests.fakes.sink import Reply
from tests.pipeline.conftest import Pipeline, track


def pendo_destination(pipeline: Pipeline, pendo: FakePendo, **body: Any) -> dict[str, Any]:
    settings = {
        "integration_key": INTEGRATION_KEY,
        "track_event_secret": TRACK_SECRET,
        "api_base_url": pendo.url,
    }
    return pipeline.destination("pendo", type="pendo", settings=settings, **body)


def test_identify_group_and_track_are_delivered_and_page_is_unsupported(
    pipeline: Pipeline,
) -> None:
    with FakePendo() as pendo:
        dest = pendo_destination(pipeline, pendo)
        pipeline.send(
            {
                "type": "identify",
                "userId": "u1",
                "traits": {"email": "ada@example.com", "groupId": "acct-1"},
                "messageId": "m-identify",
            },
            {
                "type": "group",
                "userId": "u1",
                "groupId": "acct-1",
                "traits": {"name": "Initech"},
                "messageId": "m-group",
            },
            track(1, properties={"total": 3}, context={"groupId": "acct-1"}),
            {"type": "page", "userId": "u1", "name": "Home", "messageId": "m-page"},
            {"type": "screen", "userId": "u1", "name": "Home", "messageId": "m-screen"},
            {"type": "alias", "userId": "u1", "previousId": "a1", "messageId": "m-alias"},
        )
        rows = pipeline.wait_statuses({Status.DELIVERED: 3, Status.UNSUPPORTED: 3}, dest["id"])
        assert pendo.visitors == {"u1": {"email": "ada@example.com", "accountId": "acct-1"}}
        assert pendo.accounts == {"acct-1": {"name": "Initech"}}
        [event] = pendo.events
        assert len(pendo.requests) == 3
    assert {key: event[key] for key in ("event", "visitorId", "accountId", "properties")} == {
        "event": "Order Completed",
        "visitorId": "u1",
        "accountId": "acct-1",
        "properties": {"total": 3},
    }
    assert isinstance(event["timestamp"], int)
    skipped = [d for d in rows if d.status == Status.UNSUPPORTED]
    # No preset's trigger takes them (Pendo has no server-side home for them).
    assert sorted((d.reason or "").split(" (")[0] for d in skipped) == [
        f"no mapping's trigger matches this {call} event" for call in ("alias", "page", "screen")
    ]
    assert {d.attempts for d in skipped} == {0}
    delivered = [d for d in rows if d.status == Status.DELIVERED]
    [attempt] = pipeline.attempts(delivered[0].id)
    [exchange] = attempt.exchanges
    assert exchange["request_headers"]["x-pendo-integration-key"] == "[redacted]"
    assert INTEGRATION_KEY not in json.dumps(exchange)


def test_500_then_200_is_retried_then_delivered_once(pipeline: Pipeline) -> None:
    with FakePendo(Reply(500, body="boom")) as pendo:
        dest = pendo_destination(pipeline, pendo, retry={"base_delay": 0.2, "max_delay": 0.5})
        pipeline.send(track(1))
        [delivery] = pipeline.wait_statuses({Status.DELIVERED: 1}, dest["id"])
        assert len(pendo.requests) == 2
        assert [e["event"] for e in pendo.events] == ["Order Completed"]
    assert delivery.attempts == 2
    first, second = pipeline.attempts(delivery.id)
    assert (first.outcome, first.code) == ("retry", "http_500")
    assert first.exchanges[0]["status"] == 500
    assert second.outcome == "delivered"


def test_a_wrong_key_fails_at_once_with_the_reason(pipeline: Pipeline) -> None:
    with FakePendo(integration_key="the-real-key-0000") as pendo:
        dest = pendo_destination(pipeline, pendo)
        pipeline.send({"type": "identify", "userId": "u1", "traits": {}, "messageId": "m1"})
        [delivery] = pipeline.wait_statuses({Status.FAILED: 1}, dest["id"])
        assert len(pendo.requests) == 1
    assert delivery.attempts == 1
    assert "HTTP 401" in (delivery.reason or "")
    assert "check the integration key" in (delivery.reason or "")


def test_a_429_waits_its_retry_after_and_a_400_fails_with_the_reason(pipeline: Pipeline) -> None:
    with FakePendo() as pendo:
        dest = pendo_destination(pipeline, pendo, retry={"base_delay": 0.1, "max_delay": 0.2})
        pendo.script(Reply(429, {"Retry-After": "1"}, "slow down"))
        pipeline.send(track(1))
        pipeline.wait_statuses({Status.DELIVERED: 1}, dest["id"])
        pendo.script(Reply(400, {"Content-Type": "application/json"}, '{"message": "bad event"}'))
        pipeline.send(track(2))
        rows = pipeline.wait_statuses({Status.DELIVERED: 1, Status.FAILED: 1}, dest["id"])
        assert [e["visitorId"] for e in pendo.events] == ["u1"]
    limited, refused = sorted(rows, key=lambda d: d.event_id)
    first, second = pipeline.attempts(limited.id)
    assert (first.code, first.reason, second.outcome) == (
        "http_429",
        "HTTP 429 Too Many Requests: slow down",
        "delivered",
    )
    assert (second.created_at - first.created_at).total_seconds() >= 0.9
    assert (refused.code, refused.attempts) == ("http_400", 1)
    assert refused.reason == 'HTTP 400 Bad Request: {"message": "bad event"}'
