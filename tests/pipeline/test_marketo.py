"""Events reach a fake Marketo through the whole pipeline, on both backends."""

from __future__ import annotations

import json
from typing import Any

from switchboard.deliveries.status import Status
from tests.fakes.marketo import CLIENT_ID, CLIENT_SECRET, FakeMarketo
from tests.fakes.sink import Reply
from tests.pipeline.conftest import Pipeline

ORDER_TYPE = 100001


def fake_marketo() -> FakeMarketo:
    return FakeMarketo(activity_types={ORDER_TYPE: frozenset({"orderTotal"})})


def marketo_destination(
    pipeline: Pipeline,
    marketo: FakeMarketo,
    settings_overrides: dict[str, Any] | None = None,
    **body: Any,
) -> dict[str, Any]:
    settings = {
        "base_url": marketo.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "activities": {
            "Order Completed": {
                "activity_type_id": ORDER_TYPE,
                "primary_property": "orderId",
                "attributes": {"total": "orderTotal"},
            }
        },
        **(settings_overrides or {}),
    }
    return pipeline.destination("marketo", type="marketo", settings=settings, **body)


def identify(n: int) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": f"u{n}",
        "traits": {"email": f"p{n}@example.com", "firstName": f"P{n}"},
        "messageId": f"m-identify-{n}",
    }


def order(n: int, event: str = "Order Completed") -> dict[str, Any]:
    return {
        "type": "track",
        "userId": f"u{n}",
        "event": event,
        "properties": {"orderId": f"o{n}", "total": n * 10},
        "context": {"traits": {"email": f"p{n}@example.com"}},
        "messageId": f"m-{event}-{n}",
    }


def test_identify_and_track_are_delivered_and_an_unmapped_event_is_unsupported(
    pipeline: Pipeline,
) -> None:
    with fake_marketo() as marketo:
        dest = marketo_destination(pipeline, marketo)
        pipeline.send(
            identify(1),
            order(1),
            order(1, "Signed Up"),
            {"type": "page", "userId": "u1", "name": "Home", "messageId": "m-page"},
        )
        rows = pipeline.wait_statuses({Status.DELIVERED: 2, Status.UNSUPPORTED: 2}, dest["id"])
        lead = marketo.leads_by("email")["p1@example.com"]
        assert lead["firstName"] == "P1"
        [activity] = marketo.activities
    assert activity["leadId"] == lead["id"]
    assert activity["primaryAttributeValue"] == "o1"
    assert activity["attributes"] == [{"apiName": "orderTotal", "value": 10}]
    # A track event no activity mapping's trigger matches is recorded, not sent (the mapping
    # for "Order Completed" came from the settings' `activities`).
    unmatched = sorted((d.reason or "") for d in rows if d.status == Status.UNSUPPORTED)
    assert [r.split(" event (")[0] for r in unmatched] == [
        "no mapping's trigger matches this page",
        "no mapping's trigger matches this track",
    ]
    assert all(d.attempts == 0 for d in rows if d.status == Status.UNSUPPORTED)
    delivered = [d for d in rows if d.status == Status.DELIVERED]
    recorded = json.dumps([a.exchanges for d in delivered for a in pipeline.attempts(d.id)])
    assert CLIENT_SECRET not in recorded
    assert "[redacted]" in recorded


def test_the_token_is_fetched_once_for_many_events(pipeline: Pipeline) -> None:
    with fake_marketo() as marketo:
        dest = marketo_destination(pipeline, marketo)
        pipeline.send(*[identify(n) for n in range(10)])
        pipeline.wait_statuses({Status.DELIVERED: 10}, dest["id"])
        pipeline.send(*[order(n) for n in range(10)])
        pipeline.wait_statuses({Status.DELIVERED: 20}, dest["id"])
        assert marketo.token_calls == 1
        assert len(marketo.activities) == 10
        assert len(marketo.leads) == 10


def test_a_rate_limit_is_retried_then_delivered(pipeline: Pipeline) -> None:
    with fake_marketo() as marketo:
        marketo.fail_next("606")
        dest = marketo_destination(
            pipeline,
            marketo,
            retry={"base_delay": 0.2, "max_delay": 0.5, "max_retry_after": 0.5},
        )
        pipeline.send(identify(1))
        [delivery] = pipeline.wait_statuses({Status.DELIVERED: 1}, dest["id"])
        assert len(marketo.rest_requests) == 2
        assert "p1@example.com" in marketo.leads_by("email")
    assert delivery.attempts == 2
    first, second = pipeline.attempts(delivery.id)
    assert (first.outcome, first.code) == ("retry", "marketo_606")
    assert second.outcome == "delivered"


def test_each_error_class_ends_in_its_outcome(pipeline: Pipeline) -> None:
    quick = {"base_delay": 0.1, "max_delay": 0.2, "max_retry_after": 0.2}
    with fake_marketo() as marketo:
        dest = marketo_destination(pipeline, marketo, retry=quick)
        # Per-record answers in one call: written, skipped for a while (1029), skipped for good.
        marketo.skip_once["p2@example.com"] = "1029"
        marketo.skip_leads["p3@example.com"] = "1006"
        pipeline.send(identify(1), identify(2), identify(3))
        rows = pipeline.wait_statuses({Status.DELIVERED: 2, Status.FAILED: 1}, dest["id"])
        # An expired token (602): renewed, the call repeated, delivered.
        marketo.expire_tokens()
        pipeline.send(identify(4))
        pipeline.wait_statuses({Status.DELIVERED: 3, Status.FAILED: 1}, dest["id"])
        assert marketo.token_calls == 2
        # A call refused for good (603), and a 200 that is not Marketo's JSON (retried).
        marketo.fail_next("603")
        pipeline.send(identify(5))
        pipeline.wait_statuses({Status.DELIVERED: 3, Status.FAILED: 2}, dest["id"])
        marketo.script(Reply(200, {"Content-Type": "text/html"}, "<html>maintenance</html>"))
        pipeline.send(identify(6))
        rows = pipeline.wait_statuses({Status.DELIVERED: 4, Status.FAILED: 2}, dest["id"])
        assert marketo.token_calls == 2
    by_event = {d.event_id: d for d in rows}
    ids = sorted(by_event)
    record_retry, record_failed, renewed, refused, malformed = (by_event[i] for i in ids[1:])
    assert [a.code for a in pipeline.attempts(record_retry.id)] == ["marketo_1029", None]
    assert record_failed.attempts == 1
    assert record_failed.reason == "Marketo skipped the record: 1006 Skipped as scripted"
    [attempt] = pipeline.attempts(renewed.id)
    assert [(e["url"].rsplit("/", 1)[-1], e["status"]) for e in attempt.exchanges] == [
        ("leads.json", 200),
        ("token", 200),
        ("leads.json", 200),
    ]
    assert '"602"' in (attempt.exchanges[0]["response_body"] or "")
    assert (refused.code, refused.attempts) == ("marketo_603", 1)
    assert "the API user's role lacks permission" in (refused.reason or "")
    first, second = pipeline.attempts(malformed.id)
    assert (first.code, second.outcome) == ("invalid_response", "delivered")
    assert "not Marketo's JSON answer" in (first.reason or "")
