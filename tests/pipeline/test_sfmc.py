"""Events reach a fake Salesforce Marketing Cloud through the whole pipeline, on both backends."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from switchboard.deliveries.status import Status
from tests.fakes.sfmc import (
    CLIENT_ID,
    CLIENT_SECRET,
    DATA_EXTENSION,
    EVENT_DEFINITION,
    FakeSFMC,
    error_reply,
)
from tests.fakes.sink import Reply
from tests.pipeline.conftest import Pipeline, track


def sfmc_destination(
    pipeline: Pipeline,
    sfmc: FakeSFMC,
    settings_overrides: dict[str, Any] | None = None,
    **body: Any,
) -> dict[str, Any]:
    settings = {
        "auth_base_url": sfmc.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "identify_event_definition_key": EVENT_DEFINITION,
        "identify_data_extension_key": DATA_EXTENSION,
        "trait_mapping": {"email": "Email", "company.industry": "Industry"},
        "track_events": {"Order Completed": EVENT_DEFINITION},
        **(settings_overrides or {}),
    }
    return pipeline.destination("sfmc", type="sfmc", settings=settings, **body)


def test_identify_and_track_are_delivered_unmapped_and_page_are_unsupported(
    pipeline: Pipeline,
) -> None:
    with FakeSFMC() as sfmc:
        dest = sfmc_destination(pipeline, sfmc)
        pipeline.send(
            {
                "type": "identify",
                "userId": "u1",
                "traits": {"email": "ada@example.com", "company": {"industry": "Tech"}},
                "messageId": "m-identify",
            },
            track(1, properties={"total": 3}),
            track(2, event="Cart Viewed"),
            {"type": "page", "userId": "u1", "name": "Home", "messageId": "m-page"},
        )
        # The identify is two deliveries: the row mapping's and the journey mapping's.
        rows = pipeline.wait_statuses({Status.DELIVERED: 3, Status.UNSUPPORTED: 2}, dest["id"])
        entries = sfmc.journey_entries
        assert sfmc.rows == {
            DATA_EXTENSION: {
                '{"ContactKey": "u1"}': {
                    "ContactKey": "u1",
                    "Email": "ada@example.com",
                    "Industry": "Tech",
                }
            }
        }
        tokens = sfmc.issued_tokens
    assert sorted((e["ContactKey"], json.dumps(e["Data"])) for e in entries) == [
        ("u1", json.dumps({"Email": "ada@example.com", "Industry": "Tech"})),
        ("u1", json.dumps({"total": 3})),
    ]
    skipped = sorted(
        (d.reason or "").split(" (")[0] for d in rows if d.status == Status.UNSUPPORTED
    )
    assert skipped == [
        "no mapping's trigger matches this page event",
        "no mapping's trigger matches this track event",  # 'Cart Viewed': no journey mapping
    ]
    recorded = json.dumps(
        [
            exchange
            for d in rows
            if d.status == Status.DELIVERED
            for attempt in pipeline.attempts(d.id)
            for exchange in attempt.exchanges
        ]
    )
    assert "[redacted]" in recorded
    for secret in (CLIENT_SECRET, *tokens):
        assert secret not in recorded


def test_one_token_serves_many_events(pipeline: Pipeline) -> None:
    with FakeSFMC() as sfmc:
        dest = sfmc_destination(pipeline, sfmc)
        for n in range(4):
            pipeline.send(*(track(10 * n + i) for i in range(5)))
        pipeline.wait_statuses({Status.DELIVERED: 20}, dest["id"])
        assert len(sfmc.journey_entries) == 20
        assert sfmc.token_calls == 1


def test_429_with_retry_after_is_honoured_then_delivered(pipeline: Pipeline) -> None:
    with FakeSFMC() as sfmc:
        limited = error_reply(429, "Rate limit exceeded", 50100, retryAfter=2)
        sfmc.script(replace(limited, headers={**limited.headers, "Retry-After": "2"}))
        dest = sfmc_destination(pipeline, sfmc, retry={"base_delay": 0.1, "max_delay": 0.2})
        pipeline.send(track(1))
        [delivery] = pipeline.wait_statuses({Status.DELIVERED: 1}, dest["id"])
        assert len(sfmc.journey_entries) == 1
        assert sfmc.token_calls == 1
    assert delivery.attempts == 2
    first, second = pipeline.attempts(delivery.id)
    assert (first.outcome, first.code) == ("retry", "http_429")
    assert first.reason == "HTTP 429 Too Many Requests: Rate limit exceeded (errorcode 50100)"
    assert second.outcome == "delivered"
    waited = (second.created_at - first.created_at).total_seconds()
    assert waited >= 1.9


def test_each_error_class_ends_in_its_outcome(pipeline: Pipeline) -> None:
    with FakeSFMC() as sfmc:
        dest = sfmc_destination(pipeline, sfmc, retry={"base_delay": 0.1, "max_delay": 0.2})
        # 5xx: retried, then delivered.
        sfmc.script(Reply(503, {"Content-Type": "text/html"}, "<html>busy</html>"))
        pipeline.send(track(1))
        pipeline.wait_statuses({Status.DELIVERED: 1}, dest["id"])
        # 400: failed at once, with Marketing Cloud's message.
        sfmc.script(error_reply(400, "Invalid value for Data.total", 10005))
        pipeline.send(track(2))
        pipeline.wait_statuses({Status.DELIVERED: 1, Status.FAILED: 1}, dest["id"])
        # A FAIL inside a 200 body: failed.
        fail = {"operationStatus": "FAIL", "resultMessages": [{"message": "Contact is blocked"}]}
        sfmc.script(Reply(200, {"Content-Type": "application/json"}, json.dumps(fail)))
        pipeline.send(track(3))
        pipeline.wait_statuses({Status.DELIVERED: 1, Status.FAILED: 2}, dest["id"])
        # An expired token: 401, refreshed once; the new token's answer is malformed at
        # first (retried), then the entry goes through.
        sfmc.expire_tokens()
        sfmc.script_token(Reply(200, {"Content-Type": "application/json"}, "{not json"))
        pipeline.send(track(4))
        rows = pipeline.wait_statuses({Status.DELIVERED: 2, Status.FAILED: 2}, dest["id"])
        assert sfmc.token_calls == 3
        assert [e["ContactKey"] for e in sfmc.journey_entries] == ["u1", "u4"]
    server_error, bad_request, failed_in_200, expired = sorted(rows, key=lambda d: d.event_id)
    assert [a.code for a in pipeline.attempts(server_error.id)] == ["http_503", None]
    assert (bad_request.code, bad_request.attempts) == ("http_400", 1)
    assert bad_request.reason == (
        "HTTP 400 Bad Request: Invalid value for Data.total (errorcode 10005)"
    )
    assert (failed_in_200.code, failed_in_200.attempts) == ("rejected", 1)
    assert failed_in_200.reason == (
        "Message Rejected: Marketing Cloud reported a failure: Contact is blocked"
    )
    refused, delivered = pipeline.attempts(expired.id)
    assert refused.code == "invalid_token_response"
    assert [e["status"] for e in refused.exchanges] == [401, 200]
    assert delivered.outcome == "delivered"
