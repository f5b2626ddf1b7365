"""The webhook adapter against real loopback servers: bodies, signatures, fan-out, failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from switchboard import __version__
from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Message, Result, SendContext
from switchboard.integrations.http import REDACTED
from switchboard.integrations.webhook import WebhookAdapter, WebhookSettings
from tests.fakes.sink import Reply, Sink
from tests.integrations.verdicts import judge, kinds

ADAPTER = WebhookAdapter()


@pytest.fixture
def context() -> Iterator[SendContext]:
    with httpx.Client() as client:
        yield SendContext(http=client)


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as sink:
        yield sink


def event(n: int, call: str = "track") -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": call,
        "messageId": f"m-{n}",
        "userId": "u-1",
        "timestamp": "2024-05-01T12:00:00.000Z",
        "context": {"library": {"name": "analytics-python", "version": "2.4.0"}},
    }
    if call == "track":
        body |= {"event": "Order Completed", "properties": {"total": 12.5, "n": n, "é": "ü"}}
    return body


def messages(count: int) -> list[Message]:
    return [Message(delivery_id=100 + n, event=event(n)) for n in range(count)]


def send(context: SendContext, batch: list[Message], **settings: Any) -> list[Result]:
    return ADAPTER.send(WebhookSettings.model_validate(settings), batch, context)


# -- what is sent ------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["identify", "track", "page", "screen", "group", "alias"])
def test_each_event_is_posted_as_its_stored_json(
    context: SendContext, sink: Sink, call: str
) -> None:
    stored = event(1, call)
    results = send(context, [Message(7, stored)], urls=[f"{sink.url}/hook"])

    assert [(r.delivery_id, judge(r.outcome).kind) for r in results] == [
        (7, AttemptOutcome.DELIVERED)
    ]
    (received,) = sink.requests
    assert (received.method, received.path) == ("POST", "/hook")
    assert json.loads(received.body) == stored
    assert received.header("content-type") == "application/json"
    assert received.header("user-agent") == f"Switchboard/{__version__}"
    assert received.header("x-signature") is None
    (exchange,) = results[0].exchanges
    assert (exchange.status, exchange.request_body) == (200, received.body.decode())


def test_one_request_per_event_by_default(context: SendContext, sink: Sink) -> None:
    results = send(context, messages(3), urls=[sink.url])
    assert kinds(results) == [AttemptOutcome.DELIVERED] * 3
    assert [r.delivery_id for r in results] == [100, 101, 102]
    assert [json.loads(r.body)["messageId"] for r in sink.requests] == ["m-0", "m-1", "m-2"]
    assert [len(r.exchanges) for r in results] == [1, 1, 1]


def test_batches_are_json_arrays_of_up_to_batch_size_events(
    context: SendContext, sink: Sink
) -> None:
    results = send(context, messages(5), urls=[sink.url], batch_size=2)

    bodies = [json.loads(r.body) for r in sink.requests]
    assert [[e["messageId"] for e in body] for body in bodies] == [
        ["m-0", "m-1"],
        ["m-2", "m-3"],
        ["m-4"],
    ]
    assert kinds(results) == [AttemptOutcome.DELIVERED] * 5
    # Events that travelled together share the exchange that carried them.
    assert results[0].exchanges == results[1].exchanges
    assert results[0].exchanges != results[2].exchanges


def test_a_failed_batch_fails_every_event_in_it(context: SendContext, sink: Sink) -> None:
    sink.script(Reply(200), Reply(400, body="bad batch"))
    results = send(context, messages(4), urls=[sink.url], batch_size=2)
    assert kinds(results) == [AttemptOutcome.DELIVERED] * 2 + [AttemptOutcome.FAILED] * 2
    assert results[3].outcome.reason == "HTTP 400 Bad Request: bad batch"


def test_the_method_and_custom_headers(context: SendContext, sink: Sink) -> None:
    send(
        context,
        messages(1),
        urls=[sink.url],
        method="PUT",
        headers={"X-Team": "growth", "User-Agent": "Custom/1", "Authorization": "Bearer tkn"},
    )
    (received,) = sink.requests
    assert received.method == "PUT"
    assert received.header("x-team") == "growth"
    assert received.header("user-agent") == "Custom/1"
    assert received.header("authorization") == "Bearer tkn"


def test_patch(context: SendContext, sink: Sink) -> None:
    send(context, messages(1), urls=[sink.url], method="PATCH")
    assert sink.requests[0].method == "PATCH"


def test_the_signature_is_an_hmac_sha1_of_the_exact_bytes_received(
    context: SendContext, sink: Sink
) -> None:
    secret = "whsec-0123456789"
    results = send(context, messages(3), urls=[sink.url], shared_secret=secret, batch_size=2)

    assert kinds(results) == [AttemptOutcome.DELIVERED] * 3
    assert len(sink.requests) == 2
    for received in sink.requests:
        expected = hmac.new(secret.encode(), received.body, hashlib.sha1).hexdigest()
        signature = received.header("x-signature")
        assert signature is not None
        assert hmac.compare_digest(signature, expected)
    # The signature is shown in the record; the secret is not.
    exchange = results[0].exchanges[0]
    assert exchange.request_headers["x-signature"] == sink.requests[0].header("x-signature")
    assert secret not in json.dumps([r.exchanges[0].as_dict() for r in results])


def test_the_secret_is_redacted_even_when_the_endpoint_echoes_it(
    context: SendContext, sink: Sink
) -> None:
    sink.set_default(Reply(401, body="secret topsecret-1 rejected; token Bearer abc"))
    results = send(
        context,
        messages(1),
        urls=[sink.url],
        shared_secret="topsecret-1",
        headers={"Authorization": "Bearer abc"},
    )
    (result,) = results
    text = json.dumps([e.as_dict() for e in result.exchanges]) + result.outcome.reason
    assert "topsecret-1" not in text
    assert "Bearer abc" not in text
    assert result.outcome.reason == f"HTTP 401 Unauthorized: secret {REDACTED} rejected; " + (
        f"token {REDACTED}"
    )


def test_an_event_that_is_not_json_fails_alone(context: SendContext, sink: Sink) -> None:
    batch = messages(3)
    batch[1] = Message(101, {"type": "track", "event": "x", "properties": {"n": 2**70}})
    results = send(context, batch, urls=[sink.url], batch_size=10)

    assert kinds(results) == [
        AttemptOutcome.DELIVERED,
        AttemptOutcome.FAILED,
        AttemptOutcome.DELIVERED,
    ]
    assert results[1].outcome.code == "invalid_json"
    assert results[1].exchanges == []
    (received,) = sink.requests
    assert [e["messageId"] for e in json.loads(received.body)] == ["m-0", "m-2"]


def test_no_messages_no_requests(context: SendContext, sink: Sink) -> None:
    assert send(context, [], urls=[sink.url]) == []
    assert sink.requests == []


class OtherSettings(BaseModel):
    urls: list[str] = []


def test_settings_of_another_adapter_are_a_bug(context: SendContext) -> None:
    with pytest.raises(TypeError, match="WebhookSettings"):
        ADAPTER.send(OtherSettings(), messages(1), context)


# -- several URLs ------------------------------------------------------------------------------


def test_delivered_when_any_url_succeeds(context: SendContext) -> None:
    with Sink(default=Reply(500)) as broken, Sink() as working, Sink(default=Reply(404)) as gone:
        results = send(context, messages(2), urls=[broken.url, working.url, gone.url])
        assert kinds(results) == [AttemptOutcome.DELIVERED] * 2
        assert (len(broken.requests), len(working.requests), len(gone.requests)) == (2, 2, 2)
        assert [e.status for e in results[0].exchanges] == [500, 200, 404]
        assert results[0].exchanges[1].url == working.url


def test_retried_when_all_fail_and_any_is_temporary(context: SendContext) -> None:
    with (
        Sink(default=Reply(503, {"Retry-After": "30"})) as busy,
        Sink(default=Reply(429, {"Retry-After": "120"})) as limited,
        Sink(default=Reply(400, body="nope")) as rejecting,
    ):
        (result,) = send(context, messages(1), urls=[busy.url, limited.url, rejecting.url])
    outcome = judge(result.outcome)
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
    assert len(result.exchanges) == 3


def test_failed_when_every_url_fails_for_good(context: SendContext) -> None:
    with Sink(default=Reply(404)) as first, Sink(default=Reply(410)) as second:
        results = send(context, messages(2), urls=[first.url, second.url])
    assert kinds(results) == [AttemptOutcome.FAILED] * 2
    assert results[0].outcome.code == "http_404"
    assert results[0].outcome.reason == (
        f"{first.url}: HTTP 404 Not Found; {second.url}: HTTP 410 Gone"
    )


def test_a_single_url_outcome_is_passed_through(context: SendContext, sink: Sink) -> None:
    sink.set_default(Reply(503, {"Retry-After": "5"}, "maintenance"))
    (result,) = send(context, messages(1), urls=[sink.url])
    assert result.outcome.reason == "HTTP 503 Service Unavailable: maintenance"
    assert result.outcome.retry_after == 5


# -- endpoints that hang or refuse ------------------------------------------------------------


def test_a_hanging_url_costs_one_timeout_per_send(context: SendContext, sink: Sink) -> None:
    with Sink(default=Reply(delay=10)) as hanging:
        started = time.monotonic()
        results = send(context, messages(4), urls=[hanging.url, sink.url], timeout_seconds=0.3)
        elapsed = time.monotonic() - started
        assert len(hanging.requests) == 1
    assert elapsed < 2
    assert len(sink.requests) == 4
    assert kinds(results) == [AttemptOutcome.DELIVERED] * 4
    assert [e.error for e in results[0].exchanges] == ["timed out after 0.3 s", None]
    assert [e.status for e in results[1].exchanges] == [200]


def test_a_hanging_only_url_retries_everything_after_one_timeout(context: SendContext) -> None:
    with Sink(default=Reply(delay=10)) as hanging:
        started = time.monotonic()
        results = send(context, messages(5), urls=[hanging.url], timeout_seconds=0.3)
        elapsed = time.monotonic() - started
        assert len(hanging.requests) == 1
    assert elapsed < 2
    assert kinds(results) == [AttemptOutcome.RETRY] * 5
    assert {(r.outcome.code, r.outcome.reason) for r in results} == {
        ("timeout", "timed out after 0.3 s")
    }
    assert [len(r.exchanges) for r in results] == [1, 0, 0, 0, 0]


def test_a_refused_url_is_tried_once_per_send(context: SendContext) -> None:
    closed = Sink()
    closed.close()
    results = send(context, messages(3), urls=[closed.url])
    assert kinds(results) == [AttemptOutcome.RETRY] * 3
    assert {r.outcome.code for r in results} == {"connection_error"}
    assert results[2].outcome.reason == "connection refused"
    assert [len(r.exchanges) for r in results] == [1, 0, 0]


def test_a_rate_limited_url_gets_no_more_requests_in_this_send(
    context: SendContext, sink: Sink
) -> None:
    sink.script(Reply(200), Reply(429, {"Retry-After": "60"}))
    results = send(context, messages(4), urls=[sink.url])
    assert len(sink.requests) == 2
    assert kinds(results) == [AttemptOutcome.DELIVERED] + [AttemptOutcome.RETRY] * 3
    assert {r.outcome.retry_after for r in results[1:]} == {60}


def test_a_failing_url_keeps_being_tried(context: SendContext, sink: Sink) -> None:
    sink.script(Reply(500), Reply(500))
    results = send(context, messages(3), urls=[sink.url])
    assert kinds(results) == [AttemptOutcome.RETRY, AttemptOutcome.RETRY, AttemptOutcome.DELIVERED]
    assert len(sink.requests) == 3
