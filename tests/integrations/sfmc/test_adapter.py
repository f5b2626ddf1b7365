"""The Marketing Cloud adapter against a fake SFMC on loopback: tokens, requests, outcomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from switchboard import __version__
from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Message, Result, SendContext
from switchboard.integrations.http import REDACTED
from switchboard.integrations.sfmc import SFMCAdapter, SFMCSettings
from switchboard.integrations.sfmc.auth import _rest_base
from tests.fakes.sfmc import (
    ACCOUNT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    DATA_EXTENSION,
    EVENT_DEFINITION,
    FakeSFMC,
    error_reply,
)
from tests.fakes.sink import Reply
from tests.integrations.verdicts import judge, kinds

SIGNUP_KEY = "APIEvent-signup-2"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def context() -> Iterator[SendContext]:
    with httpx.Client() as client:
        yield SendContext(http=client)


@pytest.fixture
def sfmc() -> Iterator[FakeSFMC]:
    definitions = frozenset({EVENT_DEFINITION, SIGNUP_KEY})
    with FakeSFMC(event_definitions=definitions) as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def adapter(clock: Clock) -> SFMCAdapter:
    return SFMCAdapter(clock=clock)


def settings_for(sfmc: FakeSFMC, **values: Any) -> SFMCSettings:
    return SFMCSettings.model_validate(
        {
            "auth_base_url": sfmc.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "identify_event_definition_key": EVENT_DEFINITION,
            "track_events": {"Signed Up": SIGNUP_KEY},
            **values,
        }
    )


def send(
    adapter: SFMCAdapter,
    context: SendContext,
    sfmc: FakeSFMC,
    events: list[dict[str, Any]],
    **values: Any,
) -> list[Result]:
    batch = [Message(delivery_id=100 + n, event=event) for n, event in enumerate(events)]
    return adapter.send(settings_for(sfmc, **values), batch, context)


def identify(user: str = "u-1", **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": f"m-{user}",
        "userId": user,
        "traits": traits or {"email": "ada@example.com", "plan": "pro"},
    }


def track(n: int = 1, event: str = "Signed Up", **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m-{n}",
        "userId": "u-1",
        "event": event,
        "properties": {"plan": "pro", "seats": n, "address": {"city": "Paris"}},
        **extra,
    }


# -- what each call sends ----------------------------------------------------------------------


def test_identify_fetches_a_token_and_enters_the_journey(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    (result,) = send(adapter, context, sfmc, [identify()])

    assert (result.delivery_id, judge(result.outcome).kind) == (100, AttemptOutcome.DELIVERED)
    token_request, event_request = sfmc.requests
    assert (token_request.method, token_request.path) == ("POST", "/v2/token")
    assert json.loads(token_request.body) == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert (event_request.method, event_request.path) == ("POST", "/interaction/v1/events")
    assert event_request.header("authorization") == f"Bearer {sfmc.issued_tokens[0]}"
    assert event_request.header("content-type") == "application/json; charset=utf-8"
    assert event_request.header("user-agent") == f"Switchboard/{__version__}"
    assert json.loads(event_request.body) == {
        "ContactKey": "u-1",
        "EventDefinitionKey": EVENT_DEFINITION,
        "Data": {"email": "ada@example.com", "plan": "pro"},
    }
    assert sfmc.journey_entries == [json.loads(event_request.body)]
    assert [e.status for e in result.exchanges] == [200, 201]


def test_identify_upserts_the_row_first_then_enters_the_journey(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    event = identify(email="ada@example.com", company={"industry": "Tech"}, tags=["a"])
    (result,) = send(
        adapter,
        context,
        sfmc,
        [event],
        identify_data_extension_key=DATA_EXTENSION,
        data_extension_key_field="Contact Key",
        trait_mapping={"email": "Email", "company.industry": "Industry", "missing": "Gone"},
    )

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    rowset, entry = sfmc.api_requests
    assert rowset.path == f"/hub/v1/dataevents/key:{DATA_EXTENSION}/rowset"
    values = {"Email": "ada@example.com", "Industry": "Tech"}
    assert json.loads(rowset.body) == [{"keys": {"Contact Key": "u-1"}, "values": values}]
    assert json.loads(entry.body)["Data"] == values
    assert sfmc.rows == {
        DATA_EXTENSION: {'{"Contact Key": "u-1"}': {**values, "Contact Key": "u-1"}}
    }
    assert [e.status for e in result.exchanges] == [200, 200, 201]


def test_identify_with_only_a_data_extension_does_not_enter_a_journey(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    (result,) = send(
        adapter,
        context,
        sfmc,
        [identify()],
        identify_event_definition_key=None,
        identify_data_extension_key=DATA_EXTENSION,
    )
    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    assert [r.path for r in sfmc.api_requests] == [
        f"/hub/v1/dataevents/key:{DATA_EXTENSION}/rowset"
    ]
    assert sfmc.journey_entries == []


def test_a_mapped_track_event_enters_its_journey_with_scalar_properties(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    (result,) = send(adapter, context, sfmc, [track(3)])

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    (entry,) = sfmc.journey_entries
    assert entry == {
        "ContactKey": "u-1",
        "EventDefinitionKey": SIGNUP_KEY,
        "Data": {"plan": "pro", "seats": 3},
    }


def test_an_unmapped_track_event_fails_alone_without_a_request(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    results = send(adapter, context, sfmc, [track(1), track(2, "Order Completed"), track(3)])

    assert kinds(results) == [
        AttemptOutcome.DELIVERED,
        AttemptOutcome.FAILED,
        AttemptOutcome.DELIVERED,
    ]
    assert (results[1].outcome.code, results[1].outcome.reason) == (
        "unmapped_event",
        "the track event 'Order Completed' is not mapped to an event definition key "
        "(add it to the track events setting)",
    )
    assert results[1].exchanges == []
    assert len(sfmc.api_requests) == 2


@pytest.mark.parametrize(
    ("event", "code", "reason"),
    [
        (
            {**identify(), "userId": None, "anonymousId": "a-1"},
            "missing_user_id",
            "Marketing Cloud needs a Contact Key, and this identify call has no userId",
        ),
        (
            {**track(), "event": ""},
            "missing_event",
            "Marketing Cloud needs an event name, and this track call has none",
        ),
        (
            {**track(), "type": "page"},
            "unsupported_call",
            "Salesforce Marketing Cloud does not support page calls",
        ),
        (
            identify(big=2**70),
            "invalid_json",
            "the event cannot be sent as JSON: Integer exceeds 64-bit range",
        ),
    ],
)
def test_an_event_sfmc_cannot_take_fails_alone(
    adapter: SFMCAdapter,
    context: SendContext,
    sfmc: FakeSFMC,
    event: dict[str, Any],
    code: str,
    reason: str,
) -> None:
    results = send(adapter, context, sfmc, [event, track()])
    assert kinds(results) == [AttemptOutcome.FAILED, AttemptOutcome.DELIVERED]
    assert (results[0].outcome.code, results[0].outcome.reason) == (code, reason)


def test_identify_without_identify_settings_fails_readably(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    (result,) = send(adapter, context, sfmc, [identify()], identify_event_definition_key=None)
    assert result.outcome.code == "not_configured"
    assert sfmc.requests == []


class OtherSettings(BaseModel):
    x: int = 0


def test_settings_of_another_adapter_are_a_bug(adapter: SFMCAdapter, context: SendContext) -> None:
    with pytest.raises(TypeError, match="SFMCSettings"):
        adapter.send(OtherSettings(), [Message(1, track())], context)


# -- the token ---------------------------------------------------------------------------------


def test_one_token_serves_many_events_and_sends(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    first = send(adapter, context, sfmc, [track(1), identify(), track(2)])
    second = send(adapter, context, sfmc, [track(3)])

    assert kinds(first + second) == [AttemptOutcome.DELIVERED] * 4
    assert sfmc.token_calls == 1
    assert [len(r.exchanges) for r in first + second] == [2, 1, 1, 1]


def test_the_account_id_is_sent_and_keys_the_cache(
    adapter: SFMCAdapter, context: SendContext
) -> None:
    with FakeSFMC() as sfmc:
        send(adapter, context, sfmc, [identify()], account_id=ACCOUNT_ID)
        send(adapter, context, sfmc, [identify()], account_id=ACCOUNT_ID)
        send(adapter, context, sfmc, [identify()])
        assert sfmc.token_calls == 2
        assert json.loads(sfmc.requests[0].body)["account_id"] == ACCOUNT_ID
        assert "account_id" not in json.loads(sfmc.requests[-2].body)


def test_a_token_is_renewed_shortly_before_it_expires(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC, clock: Clock
) -> None:
    send(adapter, context, sfmc, [track(1)])
    clock.now += 1079 - 61
    send(adapter, context, sfmc, [track(2)])
    assert sfmc.token_calls == 1
    clock.now += 2
    send(adapter, context, sfmc, [track(3)])
    assert sfmc.token_calls == 2
    tokens = sfmc.issued_tokens
    assert [r.header("authorization") for r in sfmc.api_requests] == [
        f"Bearer {tokens[0]}",
        f"Bearer {tokens[0]}",
        f"Bearer {tokens[1]}",
    ]


def test_a_401_refreshes_the_token_once_and_resends(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    send(adapter, context, sfmc, [track(1)])
    sfmc.expire_tokens()
    results = send(adapter, context, sfmc, [track(2), track(3)])

    assert kinds(results) == [AttemptOutcome.DELIVERED] * 2
    assert sfmc.token_calls == 2
    assert [e.status for e in results[0].exchanges] == [401, 200, 201]
    assert [e.url.rsplit("/", 1)[-1] for e in results[0].exchanges] == ["events", "token", "events"]
    assert len(sfmc.journey_entries) == 3


def test_a_401_after_the_refresh_fails_with_a_hint(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    sfmc.script(*[error_reply(401, "Not Authorized", 0)] * 3)
    results = send(adapter, context, sfmc, [track(1), track(2)])

    assert kinds(results) == [AttemptOutcome.FAILED] * 2
    assert sfmc.token_calls == 2
    outcome = results[0].outcome
    assert outcome.code == "http_401"
    assert outcome.reason.startswith("HTTP 401 Unauthorized: Not Authorized (errorcode 0) (")
    assert "refresh" in outcome.reason
    assert [e.status for e in results[1].exchanges] == [401]


def test_refused_credentials_fail_every_event_with_one_token_request(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    results = send(adapter, context, sfmc, [track(1), identify()], client_secret="wrong-one")

    assert kinds(results) == [AttemptOutcome.FAILED] * 2
    assert sfmc.token_calls == 1
    assert sfmc.api_requests == []
    outcome = results[0].outcome
    assert outcome.code == "auth_failed"
    assert outcome.reason.startswith("token request failed: HTTP 401 Unauthorized: ")
    assert outcome.reason.endswith("(check the client id, client secret and account id)")
    assert [len(r.exchanges) for r in results] == [1, 0]


def test_a_token_endpoint_5xx_retries_the_whole_send(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    sfmc.script_token(Reply(503, {"Retry-After": "30"}, "down"))
    results = send(adapter, context, sfmc, [track(1), track(2)])

    assert kinds(results) == [AttemptOutcome.RETRY] * 2
    assert {(r.outcome.code, r.outcome.retry_after) for r in results} == {("http_503", 30)}
    assert results[0].outcome.reason == "token request failed: HTTP 503 Service Unavailable: down"
    assert sfmc.token_calls == 1
    # The next send gets a token and delivers.
    assert kinds(send(adapter, context, sfmc, [track(3)])) == [AttemptOutcome.DELIVERED]


@pytest.mark.parametrize("body", ["{not json", '{"token_type": "Bearer"}', ""])
def test_a_token_answer_without_a_token_retries(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC, body: str
) -> None:
    sfmc.script_token(Reply(200, {"Content-Type": "application/json"}, body))
    (result,) = send(adapter, context, sfmc, [track()])
    assert (judge(result.outcome).kind, result.outcome.code) == (
        AttemptOutcome.RETRY,
        "invalid_token_response",
    )
    assert result.outcome.reason.startswith("the token answer has no access_token: ")


def test_without_rest_instance_url_the_standard_rest_host_is_derived() -> None:
    auth = "https://mc123.auth.marketingcloudapis.com"
    assert _rest_base(None, auth) == "https://mc123.rest.marketingcloudapis.com"
    assert _rest_base("https://x.rest.example/", auth) == "https://x.rest.example"
    assert _rest_base(None, "http://127.0.0.1:9") is None
    assert _rest_base("not a url", auth) is None


# -- answers, and what they become -------------------------------------------------------------


def test_a_429_retries_after_its_retry_after_and_stops_the_send(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    sfmc.script(Reply(201), error_reply(429, "Rate limit exceeded", 50100, retryAfter=60))
    results = send(adapter, context, sfmc, [track(1), track(2), identify(), track(4)])

    assert kinds(results) == [AttemptOutcome.DELIVERED] + [AttemptOutcome.RETRY] * 3
    assert {(r.outcome.code, r.outcome.retry_after) for r in results[1:]} == {("http_429", 60)}
    assert results[1].outcome.reason == (
        "HTTP 429 Too Many Requests: Rate limit exceeded (errorcode 50100)"
    )
    assert len(sfmc.api_requests) == 2
    assert [len(r.exchanges) for r in results] == [2, 1, 0, 0]


def test_the_retry_after_header_wins_over_the_body(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    sfmc.script(Reply(429, {"Retry-After": "7"}, '{"retryAfter": 60}'))
    (result,) = send(adapter, context, sfmc, [track()])
    assert result.outcome.retry_after == 7


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_retry_without_stopping_the_send(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC, status: int
) -> None:
    sfmc.script(Reply(status, body="<html>\n  oops </html>"))
    results = send(adapter, context, sfmc, [track(1), track(2)])
    assert kinds(results) == [AttemptOutcome.RETRY, AttemptOutcome.DELIVERED]
    assert results[0].outcome.code == f"http_{status}"
    assert results[0].outcome.reason.endswith(": <html> oops </html>")


def test_a_400_fails_with_sfmc_s_message(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    (result,) = send(adapter, context, sfmc, [identify()], identify_event_definition_key="nope")

    assert (judge(result.outcome).kind, result.outcome.code) == (AttemptOutcome.FAILED, "http_400")
    assert result.outcome.reason == (
        "HTTP 400 Bad Request: Event definition with key nope not found (errorcode 10000)"
    )


def test_a_400_lists_the_additional_errors(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    extra = [{"message": "No column Plann", "errorcode": 10000}]
    sfmc.script(error_reply(400, "Aggregate error", 10006, additionalErrors=extra))
    (result,) = send(adapter, context, sfmc, [identify()])
    assert judge(result.outcome).kind is AttemptOutcome.FAILED
    assert result.outcome.reason == (
        "HTTP 400 Bad Request: Aggregate error (errorcode 10006): No column Plann (10000)"
    )


def test_rows_that_could_not_be_saved_without_details_retry(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    message = "Unable to save rows for data extension ID 1a2b"
    sfmc.script(error_reply(400, message, 10006))
    (result,) = send(
        adapter,
        context,
        sfmc,
        [identify()],
        identify_data_extension_key=DATA_EXTENSION,
    )
    assert (judge(result.outcome).kind, result.outcome.code) == (AttemptOutcome.RETRY, "http_400")
    assert sfmc.journey_entries == []


def test_a_200_that_reports_a_fail_is_a_failure(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    body = {
        "operationStatus": "FAIL",
        "requestServiceMessageID": "x",
        "resultMessages": [{"resultCode": "InvalidContactKey", "message": "Bad key"}],
    }
    sfmc.script(Reply(200, {"Content-Type": "application/json"}, json.dumps(body)))
    (result,) = send(adapter, context, sfmc, [track()])
    assert (judge(result.outcome).kind, result.outcome.code, result.outcome.reason) == (
        AttemptOutcome.FAILED,
        "rejected",
        "Marketing Cloud reported a failure: Bad key (InvalidContactKey)",
    )


@pytest.mark.parametrize("body", ["{not json", "", "<html>ok</html>", '{"operationStatus": "OK"}'])
def test_a_2xx_with_any_other_body_is_delivered(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC, body: str
) -> None:
    sfmc.script(Reply(201, body=body))
    (result,) = send(adapter, context, sfmc, [track()])
    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED


def test_a_403_fails_with_a_permissions_hint(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    sfmc.script(error_reply(403, "Insufficient privileges", 20002))
    (result,) = send(adapter, context, sfmc, [track()])
    assert result.outcome.code == "http_403"
    assert "check the installed package's permissions" in result.outcome.reason


def test_a_hanging_sfmc_costs_one_timeout_per_send(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    sfmc.script(Reply(delay=10))
    results = send(adapter, context, sfmc, [track(1), track(2)], timeout_seconds=0.3)
    assert kinds(results) == [AttemptOutcome.RETRY] * 2
    assert {r.outcome.code for r in results} == {"timeout"}
    assert len(sfmc.api_requests) == 1


def test_a_refused_connection_retries(adapter: SFMCAdapter, context: SendContext) -> None:
    closed = FakeSFMC()
    closed.close()
    results = send(adapter, context, closed, [identify(), track()])
    assert kinds(results) == [AttemptOutcome.RETRY] * 2
    assert results[0].outcome.code == "connection_error"
    assert [len(r.exchanges) for r in results] == [1, 0]


# -- secrets -----------------------------------------------------------------------------------


def test_the_secret_and_tokens_are_redacted_from_the_record(
    adapter: SFMCAdapter, context: SendContext, sfmc: FakeSFMC
) -> None:
    send(adapter, context, sfmc, [track(1)])
    sfmc.expire_tokens()
    results = send(adapter, context, sfmc, [identify(note=f"pasted {CLIENT_SECRET}")])
    sfmc.script(Reply(400, {"X-Echo": sfmc.issued_tokens[1]}, f"bad {sfmc.issued_tokens[1]}"))
    results += send(adapter, context, sfmc, [track(2)])

    recorded = json.dumps([e.as_dict() for r in results for e in r.exchanges])
    reasons = " ".join(r.outcome.reason for r in results)
    for secret in (CLIENT_SECRET, *sfmc.issued_tokens):
        assert secret not in recorded
        assert secret not in reasons
    refused, token, resent = results[0].exchanges
    assert (refused.status, resent.status) == (401, 201)
    assert refused.request_headers["authorization"] == REDACTED
    assert json.loads(token.request_body or "")["client_secret"] == REDACTED
    assert json.loads(token.response_body or "")["access_token"] == REDACTED
    assert results[1].outcome.reason == f"HTTP 400 Bad Request: bad {REDACTED}"
    # Only the record is redacted: Marketing Cloud received the real values.
    assert sfmc.requests[3].path == "/v2/token"
    assert json.loads(sfmc.requests[3].body)["client_secret"] == CLIENT_SECRET
