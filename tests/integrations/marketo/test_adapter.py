"""The Marketo adapter against a fake Marketo on loopback: calls, tokens, outcomes, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Message, Result, SendContext
from switchboard.integrations.marketo import MarketoAdapter, MarketoSettings
from switchboard.integrations.marketo import api as marketo_api
from switchboard.jobs.limits import LocalLimiter
from tests.fakes.marketo import CLIENT_ID, CLIENT_SECRET, FakeMarketo
from tests.fakes.sink import Reply
from tests.integrations.verdicts import judge, kinds

ORDER_TYPE = 100001
ACTIVITIES = {
    "Order Completed": {
        "activity_type_id": ORDER_TYPE,
        "primary_property": "orderId",
        "attributes": {"total": "orderTotal", "cart.items": "itemCount"},
    }
}


@pytest.fixture
def context() -> Iterator[SendContext]:
    with httpx.Client() as client:
        yield SendContext(http=client)


@pytest.fixture
def marketo() -> Iterator[FakeMarketo]:
    types = {ORDER_TYPE: frozenset({"orderTotal", "itemCount"})}
    with FakeMarketo(activity_types=types) as fake:
        yield fake


def settings_for(marketo: FakeMarketo, **overrides: Any) -> MarketoSettings:
    values = {
        "base_url": marketo.url,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "activities": ACTIVITIES,
        **overrides,
    }
    return MarketoSettings.model_validate(values)


def send(
    context: SendContext,
    marketo: FakeMarketo,
    events: list[dict[str, Any]],
    adapter: MarketoAdapter | None = None,
    **settings: Any,
) -> list[Result]:
    batch = [Message(delivery_id=100 + n, event=event) for n, event in enumerate(events)]
    return (adapter or MarketoAdapter()).send(settings_for(marketo, **settings), batch, context)


def identify(email: str | None = "ada@example.com", **traits: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"email": email} if email else {}
    return {
        "type": "identify",
        "messageId": f"m-{email}",
        "userId": "u-1",
        "traits": {**base, **(traits or {"firstName": "Ada"})},
        "timestamp": "2024-05-01T12:00:00.000Z",
    }


def track(
    event: str = "Order Completed", email: str = "ada@example.com", **props: Any
) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m-{event}-{email}",
        "userId": "u-1",
        "event": event,
        "properties": props or {"orderId": "o-1", "total": 30.5, "cart": {"items": 2}},
        "context": {"traits": {"email": email}},
        "timestamp": "2024-05-01T12:00:00.250Z",
    }


def body_of(marketo: FakeMarketo, n: int) -> Any:
    return json.loads(marketo.rest_requests[n].body)


# -- identify ----------------------------------------------------------------------------------


def test_identify_upserts_the_lead_with_mapped_traits(
    context: SendContext, marketo: FakeMarketo
) -> None:
    event = identify(firstName="Ada", plan="pro", address={"city": "Paris"}, nested={"a": 1})
    (result,) = send(
        context, marketo, [event], trait_mapping={"plan": "userId", "userId": "anonymousId"}
    )

    assert (result.delivery_id, judge(result.outcome).kind) == (100, AttemptOutcome.DELIVERED)
    token_call, leads_call = marketo.requests
    assert token_call.path == "/identity/oauth/token"
    assert leads_call.path == "/rest/v1/leads.json"
    assert body_of(marketo, 0) == {
        "action": "createOrUpdate",
        "lookupField": "email",
        "input": [
            {
                "email": "ada@example.com",
                "firstName": "Ada",
                "city": "Paris",
                "userId": "pro",
                "anonymousId": "u-1",
            }
        ],
    }
    assert (leads_call.header("authorization") or "").startswith("Bearer tok-")
    assert leads_call.header("content-type") == "application/json"
    assert marketo.leads_by("email")["ada@example.com"]["firstName"] == "Ada"
    assert len(result.exchanges) == 2


def test_the_lookup_field_is_configurable(context: SendContext, marketo: FakeMarketo) -> None:
    event = identify(None, firstName="Ada")
    (result,) = send(
        context, marketo, [event], lookup_field="userId", trait_mapping={"userId": "userId"}
    )

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    assert body_of(marketo, 0)["lookupField"] == "userId"
    assert marketo.leads_by("userId")["u-1"]["firstName"] == "Ada"


def test_an_event_without_the_lookup_value_fails_without_a_call(
    context: SendContext, marketo: FakeMarketo
) -> None:
    results = send(context, marketo, [identify(None, firstName="Ada"), identify()])

    assert kinds(results) == [AttemptOutcome.FAILED, AttemptOutcome.DELIVERED]
    assert results[0].outcome.code == "missing_lookup_field"
    assert "email" in results[0].outcome.reason
    assert len(body_of(marketo, 0)["input"]) == 1


def test_leads_go_in_batches_of_300(context: SendContext, marketo: FakeMarketo) -> None:
    events = [identify(f"p{n}@example.com") for n in range(301)]
    results = send(context, marketo, events)

    assert set(kinds(results)) == {AttemptOutcome.DELIVERED}
    assert [len(body_of(marketo, n)["input"]) for n in range(2)] == [300, 1]
    assert len(marketo.leads) == 301


def test_skipped_records_get_their_own_outcomes(context: SendContext, marketo: FakeMarketo) -> None:
    marketo.skip_leads["busy@example.com"] = "1029"
    events = [
        identify("ok@example.com"),
        identify("bad@example.com", favouriteColour="red"),
        identify("busy@example.com"),
    ]
    results = send(context, marketo, events, trait_mapping={"favouriteColour": "colour"})

    assert kinds(results) == [AttemptOutcome.DELIVERED, AttemptOutcome.FAILED, AttemptOutcome.RETRY]
    assert results[1].outcome.code == "marketo_1006"
    assert "Field 'colour' not found" in results[1].outcome.reason
    assert results[2].outcome.code == "marketo_1029"
    assert len(marketo.rest_requests) == 1


# -- track -------------------------------------------------------------------------------------


def test_track_finds_or_creates_the_lead_then_adds_the_activity(
    context: SendContext, marketo: FakeMarketo
) -> None:
    (result,) = send(context, marketo, [track()])

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    assert body_of(marketo, 0) == {
        "action": "createOrUpdate",
        "lookupField": "email",
        "input": [{"email": "ada@example.com"}],
    }
    lead_id = marketo.leads_by("email")["ada@example.com"]["id"]
    assert marketo.rest_requests[1].path == "/rest/v1/activities/external.json"
    assert body_of(marketo, 1) == {
        "input": [
            {
                "leadId": lead_id,
                "activityDate": "2024-05-01T12:00:00.250000+00:00",
                "activityTypeId": ORDER_TYPE,
                "primaryAttributeValue": "o-1",
                "attributes": [
                    {"apiName": "orderTotal", "value": 30.5},
                    {"apiName": "itemCount", "value": 2},
                ],
            }
        ]
    }
    assert len(marketo.activities) == 1
    assert len(result.exchanges) == 3  # token, lead, activity


def test_identify_and_track_of_one_lead_upsert_it_once(
    context: SendContext, marketo: FakeMarketo
) -> None:
    results = send(context, marketo, [identify(), track(), track(email="bob@example.com")])

    assert set(kinds(results)) == {AttemptOutcome.DELIVERED}
    paths = [r.path for r in marketo.rest_requests]
    assert paths == [
        "/rest/v1/leads.json",
        "/rest/v1/leads.json",
        "/rest/v1/activities/external.json",
    ]
    assert body_of(marketo, 1)["input"] == [{"email": "bob@example.com"}]
    assert len(body_of(marketo, 2)["input"]) == 2


def test_an_unmapped_event_is_rejected_without_a_call(
    context: SendContext, marketo: FakeMarketo
) -> None:
    (result,) = send(context, marketo, [track("Signed Up")])

    assert judge(result.outcome).kind is AttemptOutcome.FAILED
    assert result.outcome.reason.startswith("Message Rejected: no custom activity mapped")
    assert "Signed Up" in result.outcome.reason
    assert result.outcome.code == "message_rejected"
    assert marketo.requests == []


def test_an_event_without_its_primary_property_fails(
    context: SendContext, marketo: FakeMarketo
) -> None:
    (result,) = send(context, marketo, [track(total=3)])

    assert (judge(result.outcome).kind, result.outcome.code) == (
        AttemptOutcome.FAILED,
        "missing_primary_attribute",
    )


def test_a_skipped_activity_fails_with_marketos_reason(
    context: SendContext, marketo: FakeMarketo
) -> None:
    activities = {"Order Completed": {**ACTIVITIES["Order Completed"], "activity_type_id": 9}}
    (result,) = send(context, marketo, [track()], activities=activities)

    assert (judge(result.outcome).kind, result.outcome.code) == (
        AttemptOutcome.FAILED,
        "marketo_1013",
    )
    assert "Activity type not found" in result.outcome.reason


def test_a_lead_that_cannot_be_created_fails_its_activities(
    context: SendContext, marketo: FakeMarketo
) -> None:
    marketo.skip_leads["ada@example.com"] = "1007"
    results = send(context, marketo, [track(), track()])

    assert [r.outcome.code for r in results] == ["marketo_1007"] * 2
    assert len(marketo.rest_requests) == 1


# -- tokens ------------------------------------------------------------------------------------


def test_the_token_is_fetched_once_and_reused_across_sends(
    context: SendContext, marketo: FakeMarketo
) -> None:
    adapter = MarketoAdapter()
    send(context, marketo, [identify()], adapter)
    send(context, marketo, [track()], adapter)

    assert marketo.token_calls == 1
    tokens = {r.header("authorization") for r in marketo.rest_requests}
    assert len(tokens) == 1


def test_an_expired_token_is_renewed_and_the_call_repeated_once(
    context: SendContext, marketo: FakeMarketo
) -> None:
    adapter = MarketoAdapter()
    send(context, marketo, [identify()], adapter)
    marketo.expire_tokens()
    (result,) = send(context, marketo, [identify("bob@example.com")], adapter)

    assert judge(result.outcome).kind is AttemptOutcome.DELIVERED
    assert marketo.token_calls == 2
    first, second = marketo.rest_requests[1:]
    assert first.header("authorization") != second.header("authorization")
    assert [e.url.rsplit("/", 1)[-1] for e in result.exchanges] == [
        "leads.json",
        "token",
        "leads.json",
    ]


def test_a_token_refused_twice_is_retried_later(context: SendContext, marketo: FakeMarketo) -> None:
    marketo.fail_next("601", "601")
    (result,) = send(context, marketo, [identify()])

    assert (judge(result.outcome).kind, result.outcome.code) == (
        AttemptOutcome.RETRY,
        "marketo_601",
    )
    assert marketo.token_calls == 2
    assert len(marketo.rest_requests) == 2


def test_a_token_that_is_about_to_expire_is_renewed_first(context: SendContext) -> None:
    with FakeMarketo(token_life=10) as marketo:
        adapter = MarketoAdapter()
        send(context, marketo, [identify()], adapter)
        send(context, marketo, [identify()], adapter)
        assert marketo.token_calls == 2


def test_wrong_credentials_fail_with_a_hint(context: SendContext, marketo: FakeMarketo) -> None:
    results = send(context, marketo, [identify(), track()], client_secret="wrong")

    assert [r.outcome.code for r in results] == ["http_401", "http_401"]
    assert "check the client id and client secret" in results[0].outcome.reason
    assert judge(results[0].outcome).kind is AttemptOutcome.FAILED
    assert marketo.rest_requests == []
    assert marketo.token_calls == 1


def test_secrets_and_the_token_are_redacted_from_the_record(
    context: SendContext, marketo: FakeMarketo
) -> None:
    (result,) = send(context, marketo, [identify()])

    token = (marketo.rest_requests[0].header("authorization") or "").removeprefix("Bearer ")
    recorded = json.dumps([exchange.as_dict() for exchange in result.exchanges])
    assert CLIENT_SECRET not in recorded
    assert token not in recorded
    assert marketo.requests[0].body.decode().count(CLIENT_SECRET) == 1


# -- call-level errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "retry_after"),
    [
        ("606", AttemptOutcome.RETRY, 20.0),
        ("615", AttemptOutcome.RETRY, 5.0),
        ("611", AttemptOutcome.RETRY, None),
        ("799", AttemptOutcome.RETRY, None),
        ("603", AttemptOutcome.FAILED, None),
        ("609", AttemptOutcome.FAILED, None),
    ],
)
def test_call_level_errors_are_classified_by_code(
    context: SendContext,
    marketo: FakeMarketo,
    code: str,
    kind: AttemptOutcome,
    retry_after: float | None,
) -> None:
    marketo.fail_next(code)
    results = send(context, marketo, [identify(), identify("bob@example.com")])

    assert kinds(results) == [kind, kind]
    assert {r.outcome.code for r in results} == {f"marketo_{code}"}
    assert results[0].outcome.retry_after == retry_after
    assert results[0].outcome.reason.startswith(f"Marketo error {code}")


def test_a_rate_limit_stops_the_rest_of_the_send(
    context: SendContext, marketo: FakeMarketo
) -> None:
    marketo.fail_next("606")
    results = send(context, marketo, [identify(), track(email="bob@example.com")])

    assert {r.outcome.code for r in results} == {"marketo_606"}
    assert len(marketo.rest_requests) == 1


def test_a_server_error_retries(context: SendContext, marketo: FakeMarketo) -> None:
    marketo.script(Reply(503, body="<html>down</html>"))
    (result,) = send(context, marketo, [identify()])

    assert (judge(result.outcome).kind, result.outcome.code) == (AttemptOutcome.RETRY, "http_503")
    assert "could not get a Marketo access token" in result.outcome.reason


def test_a_malformed_answer_retries(context: SendContext, marketo: FakeMarketo) -> None:
    adapter = MarketoAdapter()
    send(context, marketo, [identify()], adapter)
    marketo.script(Reply(200, body="{not json"))
    (result,) = send(context, marketo, [identify()], adapter)

    assert (judge(result.outcome).kind, result.outcome.code) == (
        AttemptOutcome.RETRY,
        "invalid_response",
    )
    assert "{not json" in result.outcome.reason


def test_a_result_count_that_does_not_match_retries(
    context: SendContext, marketo: FakeMarketo
) -> None:
    adapter = MarketoAdapter()
    send(context, marketo, [identify()], adapter)
    marketo.script(Reply(200, body='{"success": true, "result": []}'))
    (result,) = send(context, marketo, [identify()], adapter)

    assert (judge(result.outcome).kind, result.outcome.code) == (
        AttemptOutcome.RETRY,
        "invalid_response",
    )


# -- limits ------------------------------------------------------------------------------------


class RecordingLimiter(LocalLimiter):
    def __init__(self) -> None:
        super().__init__()
        self.acquired: list[tuple[int | str, int]] = []
        self.renewed: list[tuple[int | str, float]] = []

    def acquire_slot(self, destination_id: int | str, cap: int, ttl: float) -> str | None:
        self.acquired.append((destination_id, cap))
        return super().acquire_slot(destination_id, cap, ttl)

    def renew_slot(self, destination_id: int | str, token: str, ttl: float) -> None:
        self.renewed.append((destination_id, ttl))
        super().renew_slot(destination_id, token, ttl)


def limited_context(client: httpx.Client, limiter: LocalLimiter) -> SendContext:
    return SendContext(http=client, limiter=limiter, scope="7")


def test_every_call_is_counted_in_the_instance_window_and_holds_a_slot(
    marketo: FakeMarketo,
) -> None:
    limiter = RecordingLimiter()
    with httpx.Client() as client:
        results = send(
            limited_context(client, limiter), marketo, [identify(), track(email="b@example.com")]
        )

    assert set(kinds(results)) == {AttemptOutcome.DELIVERED}
    assert len(marketo.requests) == 4  # token, lead, lead, activity
    window, concurrent = f"marketo:{marketo.url}:window", f"marketo:{marketo.url}:concurrent"
    assert limiter.acquired == [(window, 100), (concurrent, 10)] * 4
    # Each call stays counted for a whole window after its answer; its slot is given back.
    assert limiter.renewed == [(window, 20.0)] * 4
    assert len(limiter._slots[window]) == 4
    assert limiter._slots[concurrent] == {}


def test_the_limits_are_settings(marketo: FakeMarketo) -> None:
    limiter = RecordingLimiter()
    with httpx.Client() as client:
        send(
            limited_context(client, limiter),
            marketo,
            [identify()],
            calls_per_window=40,
            window_seconds=5,
            max_concurrent_calls=3,
        )

    window, concurrent = f"marketo:{marketo.url}:window", f"marketo:{marketo.url}:concurrent"
    assert limiter.acquired == [(window, 40), (concurrent, 3)] * 2
    assert limiter.renewed == [(window, 5.0)] * 2


def test_no_free_slot_retries_without_a_call(
    marketo: FakeMarketo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(marketo_api, "MAX_LIMIT_WAIT", 0.1)
    limiter = LocalLimiter()
    concurrent = f"marketo:{marketo.url}:concurrent"
    for _ in range(10):
        assert limiter.acquire_slot(concurrent, 10, 60) is not None
    with httpx.Client() as client:
        results = send(limited_context(client, limiter), marketo, [identify(), track()])

    assert {r.outcome.code for r in results} == {"concurrency_limited"}
    assert judge(results[0].outcome).kind is AttemptOutcome.RETRY
    assert "10 calls to this Marketo instance are in flight" in results[0].outcome.reason
    assert marketo.requests == []
    assert limiter._slots[f"marketo:{marketo.url}:window"] == {}  # nothing sent, not counted


def test_a_used_up_window_retries_without_a_call(
    marketo: FakeMarketo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(marketo_api, "MAX_LIMIT_WAIT", 0.0)
    limiter = LocalLimiter()
    for _ in range(100):
        assert limiter.acquire_slot(f"marketo:{marketo.url}:window", 100, 20) is not None
    with httpx.Client() as client:
        (result,) = send(limited_context(client, limiter), marketo, [identify()])

    assert (judge(result.outcome).kind, result.outcome.code) == (
        AttemptOutcome.RETRY,
        "rate_limited",
    )
    assert result.outcome.retry_after == 20.0
    assert "budget of 100 calls per 20 s is used up" in result.outcome.reason
    assert marketo.requests == []


def test_the_fake_refuses_calls_over_marketos_limits_as_marketo_does(
    context: SendContext,
) -> None:
    """Without a limiter (as in the event tester), the fake's own limits answer 606."""
    with FakeMarketo(rate_limit=(2, 60.0)) as marketo:
        adapter = MarketoAdapter()
        outcomes = [send(context, marketo, [identify()], adapter)[0].outcome for _ in range(3)]
        assert marketo.meter.refusals == ["rate"]
    assert [o.code for o in outcomes] == ["", "", "marketo_606"]
    assert outcomes[2].retry_after == 20.0


def test_settings_of_another_adapter_are_a_bug(context: SendContext) -> None:
    class Other(BaseModel):
        pass

    with pytest.raises(TypeError):
        MarketoAdapter().send(Other(), [], context)
