"""The Pendo adapter against a fake Pendo on loopback: requests, outcomes, redaction."""

from __future__ import annotations

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
from switchboard.integrations.pendo import PendoAdapter, PendoSettings
from switchboard.jobs.retry import RetryPolicy
from tests.fakes.pendo import INTEGRATION_KEY, TRACK_SECRET, FakePendo
from tests.fakes.sink import Reply
from tests.integrations.verdicts import judge, kinds

ADAPTER = PendoAdapter()


@pytest.fixture
def context() -> Iterator[SendContext]:
    with httpx.Client() as client:
        yield SendContext(http=client)


@pytest.fixture
def pendo() -> Iterator[FakePendo]:
    with FakePendo() as fake:
        yield fake


def send(
    context: SendContext, pendo: FakePendo, events: list[dict[str, Any]], **settings: Any
) -> list[Result]:
    settings = {
        "integration_key": INTEGRATION_KEY,
        "track_event_secret": TRACK_SECRET,
        "api_base_url": pendo.url,
        **settings,
    }
    batch = [Message(delivery_id=100 + n, event=event) for n, event in enumerate(events)]
    return ADAPTER.send(PendoSettings.model_validate(settings), batch, context)


def identify(user: str = "u-1", **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": f"m-{user}",
        "userId": user,
        "traits": traits or {"email": "ada@example.com", "plan": "pro"},
        "timestamp": "2024-05-01T12:00:00.000Z",
    }


def group(account: str = "acct-1", **traits: Any) -> dict[str, Any]:
    return {
        "type": "group",
        "messageId": f"m-{account}",
        "userId": "u-1",
        "groupId": account,
        "traits": traits or {"name": "Initech", "employees": 120},
        "timestamp": "2024-05-01T12:00:00.000Z",
    }


def track(n: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m-{n}",
        "userId": "u-1",
        "event": "Order Completed",
        "properties": {"total": 12.5, "n": n},
        "context": {
            "ip": "203.0.113.9",
            "userAgent": "Mozilla/5.0",
            "page": {"url": "https://app.example.com/cart", "title": "Cart"},
            "library": {"name": "analytics.js", "version": "4.1.0"},
        },
        "timestamp": "2024-05-01T12:00:00.250Z",
        **extra,
    }


# -- what each call sends ----------------------------------------------------------------------


def test_identify_updates_the_visitor_with_its_traits(
    context: SendContext, pendo: FakePendo
) -> None:
    (result,) = send(context, pendo, [identify()])

    assert (result.delivery_id, judge(result.outcome).kind) == (100, AttemptOutcome.DELIVERED)
    (received,) = pendo.requests
    assert (received.method, received.path) == (
        "POST",
        "/api/v1/metadata/visitor/agent/value?create=true",
    )
    assert json.loads(received.body) == [
        {"visitorId": "u-1", "values": {"email": "ada@example.com", "plan": "pro"}}
    ]
    assert received.header("x-pendo-integration-key") == INTEGRATION_KEY
    assert received.header("content-type") == "application/json"
    assert received.header("user-agent") == f"Switchboard/{__version__}"
    assert pendo.visitors == {"u-1": {"email": "ada@example.com", "plan": "pro"}}
    (exchange,) = result.exchanges
    assert (exchange.status, exchange.request_body) == (200, received.body.decode())


def test_a_group_id_trait_ties_the_visitor_to_the_account(
    context: SendContext, pendo: FakePendo
) -> None:
    event = identify(groupId="acct-9", name="Ada", address={"city": "Paris", "geo": {"lat": 1}})
    (result,) = send(context, pendo, [event])

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    (record,) = json.loads(pendo.requests[0].body)
    assert record == {
        "visitorId": "u-1",
        "values": {
            "name": "Ada",
            "address_city": "Paris",
            "address_geo_lat": 1,
            "accountId": "acct-9",
        },
    }


def test_group_updates_the_account_with_the_group_traits(
    context: SendContext, pendo: FakePendo
) -> None:
    (result,) = send(context, pendo, [group()])

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    (received,) = pendo.requests
    assert received.path == "/api/v1/metadata/account/agent/value?create=true"
    assert json.loads(received.body) == [
        {"accountId": "acct-1", "values": {"name": "Initech", "employees": 120}}
    ]
    assert received.header("x-pendo-integration-key") == INTEGRATION_KEY
    assert pendo.accounts == {"acct-1": {"name": "Initech", "employees": 120}}


def test_track_posts_a_track_event_with_the_shared_secret(
    context: SendContext, pendo: FakePendo
) -> None:
    event = track()
    event["context"]["groupId"] = "acct-3"
    (result,) = send(context, pendo, [event])

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    (received,) = pendo.requests
    assert (received.method, received.path) == ("POST", "/data/track")
    assert received.header("x-pendo-integration-key") == TRACK_SECRET
    assert json.loads(received.body) == {
        "type": "track",
        "event": "Order Completed",
        "visitorId": "u-1",
        "accountId": "acct-3",
        "timestamp": 1714564800250,
        "properties": {"total": 12.5, "n": 1},
        "context": {
            "ip": "203.0.113.9",
            "userAgent": "Mozilla/5.0",
            "url": "https://app.example.com/cart",
            "title": "Cart",
        },
    }
    assert [e["event"] for e in pendo.events] == ["Order Completed"]


def test_track_takes_the_account_from_properties_and_needs_no_context(
    context: SendContext, pendo: FakePendo
) -> None:
    event = track(properties={"groupId": 42})
    del event["context"]
    (result,) = send(context, pendo, [event])

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    body = json.loads(pendo.requests[0].body)
    assert (body["accountId"], body["context"]) == ("42", {})


def test_custom_metadata_group(context: SendContext) -> None:
    with FakePendo(custom_fields=frozenset({"plan"})) as pendo:
        results = send(
            context,
            pendo,
            [identify(plan="pro"), identify("u-2", plan="free", seats=3)],
            metadata_group="custom",
        )
        assert pendo.requests[0].path == "/api/v1/metadata/visitor/custom/value?create=true"
        assert pendo.visitors == {"u-1": {"plan": "pro"}}
    assert kinds(results) == [AttemptOutcome.DELIVERED, AttemptOutcome.FAILED]
    assert results[1].outcome.code == "rejected"
    assert results[1].outcome.reason == (
        "Pendo did not update the record: visitor u-2: unknown custom field 'seats'"
    )


def test_eu_region_uses_the_eu_host() -> None:
    settings = PendoSettings.model_validate({"integration_key": INTEGRATION_KEY, "region": "eu"})
    assert settings.base_url == "https://app.eu.pendo.io"


def test_one_request_per_event_in_order(context: SendContext, pendo: FakePendo) -> None:
    results = send(context, pendo, [identify(), group(), track(1), track(2)])
    assert kinds(results) == [AttemptOutcome.DELIVERED] * 4
    assert [r.delivery_id for r in results] == [100, 101, 102, 103]
    assert [r.path.split("?")[0] for r in pendo.requests] == [
        "/api/v1/metadata/visitor/agent/value",
        "/api/v1/metadata/account/agent/value",
        "/data/track",
        "/data/track",
    ]
    assert [len(r.exchanges) for r in results] == [1, 1, 1, 1]


def test_no_messages_no_requests(context: SendContext, pendo: FakePendo) -> None:
    assert send(context, pendo, []) == []
    assert pendo.requests == []


class OtherSettings(BaseModel):
    api_base_url: str = ""


def test_settings_of_another_adapter_are_a_bug(context: SendContext) -> None:
    with pytest.raises(TypeError, match="PendoSettings"):
        ADAPTER.send(OtherSettings(), [Message(1, track())], context)


# -- events Pendo cannot take fail alone, without a request ------------------------------------


@pytest.mark.parametrize(
    ("event", "code", "reason"),
    [
        (
            {**identify(), "userId": None, "anonymousId": "anon-1"},
            "missing_user_id",
            "Pendo needs a Visitor ID, and this identify call has no userId",
        ),
        (
            {**track(), "userId": ""},
            "missing_user_id",
            "Pendo needs a Visitor ID, and this track call has no userId",
        ),
        (
            {**group(), "groupId": None},
            "missing_group_id",
            "Pendo needs an Account ID, and this group call has no groupId",
        ),
        (
            {**track(), "event": ""},
            "missing_event",
            "Pendo needs an event name, and this track call has none",
        ),
        (
            {**track(), "timestamp": "yesterday"},
            "invalid_timestamp",
            "the event's timestamp cannot be read: 'yesterday' is not an ISO-8601 timestamp",
        ),
        (
            {**track(), "properties": {"big": 2**70}},
            "invalid_json",
            "the event cannot be sent as JSON: Integer exceeds 64-bit range",
        ),
        ({**track(), "type": "page"}, "unsupported_call", "Pendo does not support page calls"),
    ],
)
def test_an_event_pendo_cannot_take_fails_alone(
    context: SendContext, pendo: FakePendo, event: dict[str, Any], code: str, reason: str
) -> None:
    results = send(context, pendo, [track(1), event, track(3)])

    assert kinds(results) == [
        AttemptOutcome.DELIVERED,
        AttemptOutcome.FAILED,
        AttemptOutcome.DELIVERED,
    ]
    assert (results[1].outcome.code, results[1].outcome.reason) == (code, reason)
    assert results[1].exchanges == []
    assert len(pendo.requests) == 2


def test_a_call_whose_credential_is_not_set_fails_without_a_request(
    context: SendContext, pendo: FakePendo
) -> None:
    results = send(context, pendo, [identify(), track()], track_event_secret=None)

    assert kinds(results) == [AttemptOutcome.DELIVERED, AttemptOutcome.FAILED]
    assert results[1].outcome.code == "missing_credential"
    assert results[1].outcome.reason == "track calls need the Track Event Shared Secret setting"
    assert len(pendo.requests) == 1


# -- answers, and what they become -------------------------------------------------------------


def test_a_wrong_integration_key_fails_with_a_hint(context: SendContext, pendo: FakePendo) -> None:
    results = send(context, pendo, [identify(), track()], integration_key="wrong-key-1234")

    assert kinds(results) == [AttemptOutcome.FAILED, AttemptOutcome.DELIVERED]
    outcome = results[0].outcome
    assert outcome.code == "http_401"
    assert outcome.reason == (
        "HTTP 401 Unauthorized: Unauthorized: invalid integration key "
        "(check the integration key and that it has write access)"
    )
    assert pendo.visitors == {}


def test_a_wrong_track_secret_fails_and_the_integration_key_is_not_accepted_for_track(
    context: SendContext, pendo: FakePendo
) -> None:
    (result,) = send(context, pendo, [track()], track_event_secret=INTEGRATION_KEY)

    assert (judge(result.outcome).kind, result.outcome.code) == (AttemptOutcome.FAILED, "http_401")
    assert result.outcome.reason.endswith(
        "(check the Track Event Shared Secret (it is not the integration key))"
    )
    assert pendo.events == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_fail_at_once(context: SendContext, pendo: FakePendo, status: int) -> None:
    pendo.script(Reply(status, body='{"message":"visitorId is required"}'))
    (result,) = send(context, pendo, [track()])

    assert (judge(result.outcome).kind, result.outcome.code) == (
        AttemptOutcome.FAILED,
        f"http_{status}",
    )
    assert '{"message":"visitorId is required"}' in result.outcome.reason
    assert len(pendo.requests) == 1


@pytest.mark.parametrize("status", [409, 429, 500, 502, 503, 504])
def test_conflicts_rate_limits_and_server_errors_retry(
    context: SendContext, pendo: FakePendo, status: int
) -> None:
    pendo.script(Reply(status, {"Retry-After": "7"}, "try later"))
    (result,) = send(context, pendo, [group()])

    outcome = result.outcome
    assert (judge(outcome).kind, outcome.code, outcome.retry_after) == (
        AttemptOutcome.RETRY,
        f"http_{status}",
        7,
    )
    assert outcome.reason.endswith(": try later")
    assert pendo.accounts == {}


def test_409_retries_even_when_the_policy_would_not(pendo: FakePendo) -> None:
    pendo.script(Reply(409, body="operation in progress"))
    with httpx.Client() as client:
        (result,) = send(SendContext(http=client), pendo, [identify()])
    only_503 = RetryPolicy(retry_statuses=frozenset({503}))
    assert (judge(result.outcome, only_503).kind, result.outcome.reason) == (
        AttemptOutcome.RETRY,
        "HTTP 409 Conflict: operation in progress",
    )


def test_a_400_from_pendo_itself_names_the_problem(context: SendContext, pendo: FakePendo) -> None:
    event = track()
    event["timestamp"] = "2024-05-01T12:00:00Z"
    (result,) = send(context, pendo, [event])
    assert (
        judge(result.outcome).kind is AttemptOutcome.DELIVERED
    )  # the documented body passes the fake

    pendo.script(Reply(400, body=json.dumps({"message": 'type must be "track"'})))
    (result,) = send(context, pendo, [track()])
    assert result.outcome.reason == 'HTTP 400 Bad Request: {"message": "type must be \\"track\\""}'


@pytest.mark.parametrize("body", ["<html>ok</html>", "", "[1, 2", '{"failed": "x"}'])
def test_a_2xx_with_an_unexpected_body_is_delivered(
    context: SendContext, pendo: FakePendo, body: str
) -> None:
    pendo.script(Reply(200, body=body), Reply(200, body=body))
    results = send(context, pendo, [identify(), track()])
    assert kinds(results) == [AttemptOutcome.DELIVERED] * 2


def test_a_5xx_with_a_malformed_body_retries_with_its_excerpt(
    context: SendContext, pendo: FakePendo
) -> None:
    pendo.script(Reply(500, body="<html>\n  <h1>Internal   error</h1>\n</html>"))
    (result,) = send(context, pendo, [identify()])
    assert judge(result.outcome).kind is AttemptOutcome.RETRY
    assert result.outcome.reason == (
        "HTTP 500 Internal Server Error: <html> <h1>Internal error</h1> </html>"
    )


def test_a_metadata_answer_with_failed_records_fails(
    context: SendContext, pendo: FakePendo
) -> None:
    pendo.script(Reply(200, body='{"total": 1, "updated": 0, "failed": 1}'))
    (result,) = send(context, pendo, [group()])
    assert (judge(result.outcome).kind, result.outcome.code, result.outcome.reason) == (
        AttemptOutcome.FAILED,
        "rejected",
        "Pendo did not update the record: 1 failed",
    )


def test_a_500_does_not_stop_the_rest(context: SendContext, pendo: FakePendo) -> None:
    pendo.script(Reply(500))
    results = send(context, pendo, [track(1), track(2)])
    assert kinds(results) == [AttemptOutcome.RETRY, AttemptOutcome.DELIVERED]
    assert len(pendo.requests) == 2


def test_a_429_stops_the_rest_of_the_send(context: SendContext, pendo: FakePendo) -> None:
    pendo.script(Reply(200), Reply(429, {"Retry-After": "60"}))
    results = send(context, pendo, [track(1), identify(), group(), track(4)])
    assert len(pendo.requests) == 2
    assert kinds(results) == [AttemptOutcome.DELIVERED] + [AttemptOutcome.RETRY] * 3
    assert {r.outcome.retry_after for r in results[1:]} == {60}
    assert [len(r.exchanges) for r in results] == [1, 1, 0, 0]


def test_a_hanging_pendo_costs_one_timeout_per_send(context: SendContext) -> None:
    with FakePendo(Reply(delay=10)) as pendo:
        started = time.monotonic()
        results = send(context, pendo, [track(1), track(2), identify()], timeout_seconds=0.3)
        elapsed = time.monotonic() - started
        assert len(pendo.requests) == 1
    assert elapsed < 2
    assert kinds(results) == [AttemptOutcome.RETRY] * 3
    assert {(r.outcome.code, r.outcome.reason) for r in results} == {
        ("timeout", "timed out after 0.3 s")
    }


def test_a_refused_connection_retries(context: SendContext) -> None:
    closed = FakePendo()
    closed.close()
    results = send(context, closed, [identify(), group()])
    assert kinds(results) == [AttemptOutcome.RETRY] * 2
    assert {(r.outcome.code, r.outcome.reason) for r in results} == {
        ("connection_error", "connection refused")
    }
    assert [len(r.exchanges) for r in results] == [1, 0]


# -- secrets -----------------------------------------------------------------------------------


def test_secrets_are_redacted_from_the_record_even_when_echoed(
    context: SendContext, pendo: FakePendo
) -> None:
    pendo.script(
        Reply(401, {"X-Echo": TRACK_SECRET}, f"key {INTEGRATION_KEY} is not valid here"),
        Reply(403, body=f"secret {TRACK_SECRET} rejected"),
    )
    results = send(context, pendo, [identify(), track(), group()])

    recorded = json.dumps([e.as_dict() for r in results for e in r.exchanges])
    reasons = " ".join(r.outcome.reason for r in results)
    for secret in (INTEGRATION_KEY, TRACK_SECRET):
        assert secret not in recorded
        assert secret not in reasons
    first, second, third = (r.exchanges[0] for r in results)
    assert first.request_headers["x-pendo-integration-key"] == REDACTED
    assert first.response_headers["x-echo"] == REDACTED
    assert first.response_body == f"key {REDACTED} is not valid here"
    assert second.response_body == f"secret {REDACTED} rejected"
    assert third.request_headers["x-pendo-integration-key"] == REDACTED
    assert results[1].outcome.reason.startswith(f"HTTP 403 Forbidden: secret {REDACTED} rejected")
    # Only the record is redacted: Pendo received the real keys.
    assert [r.header("x-pendo-integration-key") for r in pendo.requests] == [
        INTEGRATION_KEY,
        TRACK_SECRET,
        INTEGRATION_KEY,
    ]


def test_a_secret_in_a_trait_is_redacted_from_the_record(
    context: SendContext, pendo: FakePendo
) -> None:
    (result,) = send(context, pendo, [identify(note=f"pasted {INTEGRATION_KEY}")])
    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    assert INTEGRATION_KEY not in json.dumps(result.exchanges[0].as_dict())
