"""The "send" action against real loopback servers: bodies, signatures, fan-out, failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import orjson
import pytest
from pydantic import BaseModel

from switchboard import __version__
from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import SendContext
from switchboard.integrations.http import REDACTED
from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.webhook import DESTINATION
from tests.fakes.sink import Reply, Sink
from tests.integrations.verdicts import judge, kinds
from tests.integrations.webhook.conftest import Webhooks, event, events, results

CALLS = ["identify", "track", "page", "screen", "group", "alias"]

# -- what is sent ------------------------------------------------------------------------------


@pytest.mark.parametrize("call", CALLS)
def test_each_event_is_posted_as_its_stored_json(hooks: Webhooks, sink: Sink, call: str) -> None:
    stored = event(1, call)
    sent = hooks.send([stored], urls=[f"{sink.url}/hook"])

    assert [(s.event_index, judge(s.outcome).kind) for s in sent] == [(0, AttemptOutcome.DELIVERED)]
    (received,) = sink.requests
    assert (received.method, received.path) == ("POST", "/hook")
    assert received.body == orjson.dumps(stored)
    assert received.header("content-type") == "application/json"
    assert received.header("user-agent") == f"Switchboard/{__version__}"
    assert received.header("x-signature") is None
    (exchange,) = sent[0].result.exchanges
    assert (exchange.status, exchange.request_body) == (200, received.body.decode())


def test_the_preset_sends_every_call_type_whole_with_post_one_at_a_time(hooks: Webhooks) -> None:
    (preset,) = DESTINATION.preset_mappings()
    assert (preset.name, preset.action) == ("Send every event", "send")
    assert preset.mapping == {"method": "POST", "data": {"@path": "$."}, "batch_size": 1}
    harness = hooks.harness({"urls": ["https://example.com/hook"]})
    for call in CALLS:
        stored = event(3, call)
        assert harness.payloads(stored) == [{"method": "POST", "data": stored, "batch_size": 1}]
    assert harness.matching({"type": "purchase"}) == []


def test_one_request_per_event_by_default(hooks: Webhooks, sink: Sink) -> None:
    sent = hooks.send(events(3), urls=[sink.url])
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 3
    assert [s.event_index for s in sent] == [0, 1, 2]
    assert [json.loads(r.body)["messageId"] for r in sink.requests] == ["m-0", "m-1", "m-2"]
    assert [len(s.result.exchanges) for s in sent] == [1, 1, 1]


def test_batches_are_json_arrays_of_up_to_batch_size_events(hooks: Webhooks, sink: Sink) -> None:
    sent = hooks.send(events(5), {"batch_size": 2}, urls=[sink.url])

    bodies = [json.loads(r.body) for r in sink.requests]
    assert [[e["messageId"] for e in body] for body in bodies] == [
        ["m-0", "m-1"],
        ["m-2", "m-3"],
        ["m-4"],
    ]
    assert (
        sink.requests[0].body
        == b"[" + orjson.dumps(event(0)) + b"," + orjson.dumps(event(1)) + b"]"
    )
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 5
    # Events that travelled together share the exchange that carried them.
    assert sent[0].result.exchanges == sent[1].result.exchanges
    assert sent[0].result.exchanges != sent[2].result.exchanges


def test_a_batch_size_above_one_sends_an_array_even_of_one(hooks: Webhooks, sink: Sink) -> None:
    hooks.send(events(1), {"batch_size": 10}, urls=[sink.url])
    assert sink.requests[0].body == b"[" + orjson.dumps(event(0)) + b"]"


def test_a_failed_batch_fails_every_event_in_it(hooks: Webhooks, sink: Sink) -> None:
    sink.script(Reply(200), Reply(400, body="bad batch"))
    sent = hooks.send(events(4), {"batch_size": 2}, urls=[sink.url])
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 2 + [AttemptOutcome.FAILED] * 2
    assert sent[3].outcome.reason == "HTTP 400 Bad Request: bad batch"


def test_the_method_and_custom_headers(hooks: Webhooks, sink: Sink) -> None:
    hooks.send(
        events(1),
        {"method": "PUT"},
        urls=[sink.url],
        headers={"X-Team": "growth", "User-Agent": "Custom/1", "Authorization": "Bearer tkn"},
    )
    (received,) = sink.requests
    assert received.method == "PUT"
    assert received.header("x-team") == "growth"
    assert received.header("user-agent") == "Custom/1"
    assert received.header("authorization") == "Bearer tkn"


def test_patch(hooks: Webhooks, sink: Sink) -> None:
    hooks.send(events(1), {"method": "PATCH"}, urls=[sink.url])
    assert sink.requests[0].method == "PATCH"


def test_the_signature_is_an_hmac_sha1_of_the_exact_bytes_received(
    hooks: Webhooks, sink: Sink
) -> None:
    secret = "whsec-0123456789"
    sent = hooks.send(events(3), {"batch_size": 2}, urls=[sink.url], shared_secret=secret)

    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 3
    assert len(sink.requests) == 2
    for received in sink.requests:
        expected = hmac.new(secret.encode(), received.body, hashlib.sha1).hexdigest()
        signature = received.header("x-signature")
        assert signature is not None
        assert hmac.compare_digest(signature, expected)
    # The signature is shown in the record; the secret is not.
    exchange = sent[0].result.exchanges[0]
    assert exchange.request_headers["x-signature"] == sink.requests[0].header("x-signature")
    assert secret not in json.dumps([s.result.exchanges[0].as_dict() for s in sent])


def test_the_secret_is_redacted_even_when_the_endpoint_echoes_it(
    hooks: Webhooks, sink: Sink
) -> None:
    sink.set_default(Reply(401, body="secret topsecret-1 rejected; token Bearer abc"))
    (sent,) = hooks.send(
        events(1),
        urls=[sink.url],
        shared_secret="topsecret-1",
        headers={"Authorization": "Bearer abc"},
    )
    text = json.dumps([e.as_dict() for e in sent.result.exchanges]) + sent.outcome.reason
    assert "topsecret-1" not in text
    assert "Bearer abc" not in text
    assert sent.outcome.reason == f"HTTP 401 Unauthorized: secret {REDACTED} rejected; " + (
        f"token {REDACTED}"
    )


def test_url_credentials_are_redacted_from_the_record(hooks: Webhooks, sink: Sink) -> None:
    url = f"http://user:pw-secret-1@127.0.0.1:{sink.port}/h?api_key=key-secret-2&page=2"
    sink.set_default(Reply(500, body="pw-secret-1 and key-secret-2 echoed"))
    (sent,) = hooks.send(events(1), urls=[url])
    assert sink.requests[0].path == "/h?api_key=key-secret-2&page=2"
    text = json.dumps([e.as_dict() for e in sent.result.exchanges]) + sent.outcome.reason
    assert "pw-secret-1" not in text
    assert "key-secret-2" not in text
    assert "page=2" in sent.result.exchanges[0].url


@pytest.mark.parametrize("batch_size", [1, 10])
def test_an_event_that_is_not_json_fails_alone(
    hooks: Webhooks, sink: Sink, batch_size: int
) -> None:
    batch = events(3)
    batch[1] = {"type": "track", "event": "x", "properties": {"n": 2**70}}
    sent = hooks.send(batch, {"batch_size": batch_size}, urls=[sink.url])

    assert kinds(results(sent)) == [
        AttemptOutcome.DELIVERED,
        AttemptOutcome.FAILED,
        AttemptOutcome.DELIVERED,
    ]
    assert sent[1].outcome.code == "invalid_json"
    assert sent[1].outcome.reason == (
        "Message Rejected: the event cannot be sent as JSON: Integer exceeds 64-bit range"
    )
    assert sent[1].result.exchanges == []
    sent_ids = [orjson.loads(r.body) for r in sink.requests]
    if batch_size > 1:
        (sent_ids,) = sent_ids
    assert [e["messageId"] for e in sent_ids] == ["m-0", "m-2"]


def test_no_events_no_requests(hooks: Webhooks, sink: Sink) -> None:
    assert hooks.send([], urls=[sink.url]) == []
    assert sink.requests == []


class OtherSettings(BaseModel):
    urls: list[str] = []


def test_settings_of_another_destination_are_a_bug() -> None:
    with httpx.Client() as client, pytest.raises(TypeError, match="WebhookSettings"):
        KitAdapter(DESTINATION).send(OtherSettings(), [], SendContext(http=client))


# -- several URLs ------------------------------------------------------------------------------


def test_delivered_when_any_url_succeeds(hooks: Webhooks) -> None:
    with Sink(default=Reply(500)) as broken, Sink() as working, Sink(default=Reply(404)) as gone:
        sent = hooks.send(events(2), urls=[broken.url, working.url, gone.url])
        assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 2
        assert (len(broken.requests), len(working.requests), len(gone.requests)) == (2, 2, 2)
        assert [e.status for e in sent[0].result.exchanges] == [500, 200, 404]
        assert sent[0].result.exchanges[1].url == working.url


def test_every_url_gets_the_same_signed_bytes(hooks: Webhooks) -> None:
    with Sink() as first, Sink() as second:
        hooks.send(events(3), {"batch_size": 2}, urls=[first.url, second.url], shared_secret="s-1")
        for one, two in zip(first.requests, second.requests, strict=True):
            assert (one.body, one.header("x-signature")) == (two.body, two.header("x-signature"))
        assert len(first.requests) == 2


def test_retried_when_all_fail_and_any_is_temporary(hooks: Webhooks) -> None:
    with (
        Sink(default=Reply(503, {"Retry-After": "30"})) as busy,
        Sink(default=Reply(429, {"Retry-After": "120"})) as limited,
        Sink(default=Reply(400, body="nope")) as rejecting,
    ):
        (sent,) = hooks.send(events(1), urls=[busy.url, limited.url, rejecting.url])
    outcome = judge(sent.outcome)
    assert (outcome.kind, outcome.code, outcome.retry_after) == (
        AttemptOutcome.RETRY,
        "http_503",
        120,
    )
    assert outcome.reason == (
        f"{busy.url}: HTTP 503 Service Unavailable; "
        f"{limited.url}: HTTP 429 Too Many Requests; "
        f"{rejecting.url}: HTTP 400 Bad Request: nope"
    )
    assert len(sent.result.exchanges) == 3


def test_failed_when_every_url_fails_for_good(hooks: Webhooks) -> None:
    with Sink(default=Reply(404)) as first, Sink(default=Reply(410)) as second:
        sent = hooks.send(events(2), urls=[first.url, second.url])
    assert kinds(results(sent)) == [AttemptOutcome.FAILED] * 2
    assert sent[0].outcome.code == "http_404"
    assert sent[0].outcome.reason == (
        f"{first.url}: HTTP 404 Not Found; {second.url}: HTTP 410 Gone"
    )


def test_a_single_url_outcome_is_passed_through(hooks: Webhooks, sink: Sink) -> None:
    sink.set_default(Reply(503, {"Retry-After": "5"}, "maintenance"))
    (sent,) = hooks.send(events(1), urls=[sink.url])
    assert sent.outcome.reason == "HTTP 503 Service Unavailable: maintenance"
    assert sent.outcome.retry_after == 5


# -- endpoints that hang or refuse ------------------------------------------------------------


def test_a_hanging_url_costs_one_timeout_per_send(hooks: Webhooks, sink: Sink) -> None:
    with Sink(default=Reply(delay=10)) as hanging:
        started = time.monotonic()
        sent = hooks.send(events(4), urls=[hanging.url, sink.url], timeout_seconds=0.3)
        elapsed = time.monotonic() - started
        assert len(hanging.requests) == 1
    assert elapsed < 2
    assert len(sink.requests) == 4
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 4
    assert [e.error for e in sent[0].result.exchanges] == ["timed out after 0.3 s", None]
    assert [e.status for e in sent[1].result.exchanges] == [200]


def test_a_hanging_only_url_retries_everything_after_one_timeout(hooks: Webhooks) -> None:
    with Sink(default=Reply(delay=10)) as hanging:
        started = time.monotonic()
        sent = hooks.send(events(5), urls=[hanging.url], timeout_seconds=0.3)
        elapsed = time.monotonic() - started
        assert len(hanging.requests) == 1
    assert elapsed < 2
    assert kinds(results(sent)) == [AttemptOutcome.RETRY] * 5
    assert {(s.outcome.code, s.outcome.reason) for s in sent} == {
        ("timeout", "timed out after 0.3 s")
    }
    assert [len(s.result.exchanges) for s in sent] == [1, 0, 0, 0, 0]


def test_a_refused_url_is_tried_once_per_send(hooks: Webhooks) -> None:
    closed = Sink()
    closed.close()
    sent = hooks.send(events(3), urls=[closed.url])
    assert kinds(results(sent)) == [AttemptOutcome.RETRY] * 3
    assert {s.outcome.code for s in sent} == {"connection_error"}
    assert sent[2].outcome.reason == "connection refused"
    assert [len(s.result.exchanges) for s in sent] == [1, 0, 0]


def test_a_rate_limited_url_gets_no_more_requests_in_this_send(hooks: Webhooks, sink: Sink) -> None:
    sink.script(Reply(200), Reply(429, {"Retry-After": "60"}))
    sent = hooks.send(events(4), urls=[sink.url])
    assert len(sink.requests) == 2
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] + [AttemptOutcome.RETRY] * 3
    assert {s.outcome.retry_after for s in sent[1:]} == {60}


def test_a_rate_limited_url_does_not_stop_the_others(hooks: Webhooks, sink: Sink) -> None:
    with Sink(Reply(429, {"Retry-After": "60"})) as limited:
        sent = hooks.send(events(3), urls=[limited.url, sink.url])
        assert len(limited.requests) == 1
    assert len(sink.requests) == 3
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 3


def test_a_failing_url_keeps_being_tried(hooks: Webhooks, sink: Sink) -> None:
    sink.script(Reply(500), Reply(500))
    sent = hooks.send(events(3), urls=[sink.url])
    assert kinds(results(sent)) == [
        AttemptOutcome.RETRY,
        AttemptOutcome.RETRY,
        AttemptOutcome.DELIVERED,
    ]
    assert len(sink.requests) == 3


def test_an_event_that_is_not_json_does_not_shorten_its_batch(hooks: Webhooks, sink: Sink) -> None:
    batch = events(5)
    batch[1] = {"type": "track", "event": "x", "properties": {"n": -(2**70)}}
    sent = hooks.send(batch, {"batch_size": 2}, urls=[sink.url])
    assert [[e["messageId"] for e in orjson.loads(r.body)] for r in sink.requests] == [
        ["m-0", "m-2"],
        ["m-3", "m-4"],
    ]
    assert [s.outcome.code or "delivered" for s in sent] == ["delivered", "invalid_json"] + [
        "delivered"
    ] * 3
