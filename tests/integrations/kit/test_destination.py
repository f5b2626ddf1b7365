"""The kit's destination machinery: fields checked, batches, errors as outcomes, stop after a
throttle, secrets hidden, tokens cached by secret — through `KitHarness`, as a plugin author
would test, against an in-memory fake vendor."""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
import orjson
import pytest
from pydantic import BaseModel, SecretStr

from switchboard.integrations.base import Outcome, OutcomeKind
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import (
    Action,
    Destination,
    ItemResult,
    MappingSpec,
    Preset,
)
from switchboard.integrations.kit.errors import (
    InvalidAuthentication,
    PayloadInvalid,
    Retryable,
)
from switchboard.integrations.kit.fields import Field, check_payload
from switchboard.integrations.kit.oauth import TokenCache, fetch_client_credentials, token_key
from switchboard.integrations.kit.testing import KitHarness


class AcmeSettings(BaseModel):
    api_key: SecretStr
    base_url: str = "https://api.acme.test"
    client_secret: SecretStr = SecretStr("cs-0123456789")


class SendEvent(Action[AcmeSettings]):
    id = "send_event"
    title = "Send event"
    default_trigger = 'type = "track"'
    fields: ClassVar[dict[str, Field]] = {
        "name": Field("Event name", "string", required=True, default={"@path": "$.event"}),
        "revenue": Field("Revenue", "number", default={"@path": "$.properties.revenue"}),
        "user": Field("User", "string", required=True, default={"@path": "$.userId"}),
    }

    def perform(self, ctx: ActionContext, settings: AcmeSettings, payload: dict[str, Any]) -> None:
        key = settings.api_key.get_secret_value()
        reply = ctx.request(
            "POST", f"{settings.base_url}/events", json=payload, headers={"X-Key": key}
        )
        answer = reply.json()
        if isinstance(answer, dict) and answer.get("status") == "FAIL":
            raise Retryable(f"Acme failed the event: {answer.get('message')}", code="acme_fail")


class Identify(Action[AcmeSettings]):
    id = "identify"
    title = "Identify user"
    default_trigger = 'type = "identify"'
    max_batch = 3
    fields: ClassVar[dict[str, Field]] = {
        "user": Field("User", "string", required=True, default={"@path": "$.userId"}),
        "email": Field("Email", "string", default={"@path": "$.traits.email"}),
    }

    def perform_batch(
        self, ctx: ActionContext, settings: AcmeSettings, payloads: list[dict[str, Any]]
    ) -> list[ItemResult]:
        reply = ctx.request("POST", f"{settings.base_url}/users", json={"users": payloads})
        results = []
        for record in reply.json()["results"]:
            if record == "ok":
                results.append(ItemResult(Outcome.delivered()))
            else:
                results.append(ItemResult(PayloadInvalid(record, field="email").outcome))
        return results


ACME = Destination(
    type="acme",
    display_name="Acme",
    settings_model=AcmeSettings,
    actions=(SendEvent(), Identify()),
    presets=(
        Preset("Track calls", "send_event", 'type = "track"'),
        Preset("Identify calls", "identify", 'type = "identify"'),
    ),
)


class FakeAcme:
    """Answers like a vendor would: 200 {"status": "OK"}; scripted answers first."""

    def __init__(self) -> None:
        self.script: list[httpx.Response] = []
        self.bodies: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(orjson.loads(request.content) if request.content else None)
        if self.script:
            return self.script.pop(0)
        if request.url.path == "/users":
            users = orjson.loads(request.content)["users"]
            results = ["ok" if "@" in u.get("email", "@") else "bad email" for u in users]
            return httpx.Response(200, json={"results": results})
        return httpx.Response(200, json={"status": "OK"})


def track(name: str | None = "Order Completed", **more: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "track", "userId": "u1", "properties": {"revenue": "12.5"}}
    if name is not None:
        event["event"] = name
    event.update(more)
    return event


@pytest.fixture
def fake() -> FakeAcme:
    return FakeAcme()


@pytest.fixture
def harness(fake: FakeAcme) -> KitHarness:
    return KitHarness(ACME, {"api_key": "key-secret-42"}, transport=httpx.MockTransport(fake))


def test_presets_route_by_trigger_and_map_with_field_defaults(
    harness: KitHarness, fake: FakeAcme
) -> None:
    sent = harness.send([track(), {"type": "identify", "userId": "u2"}, {"type": "page"}])

    assert [(s.event_index, s.mapping.action) for s in sent] == [(0, "send_event"), (1, "identify")]
    assert all(s.outcome.kind is OutcomeKind.DELIVERED for s in sent)
    # "12.5" coerced to the number field's type, as Segment's validator does.
    assert fake.bodies[0] == {"name": "Order Completed", "revenue": 12.5, "user": "u1"}
    assert fake.bodies[1] == {"users": [{"user": "u2"}]}


def test_a_missing_required_field_rejects_that_event_alone_naming_the_field(
    harness: KitHarness, fake: FakeAcme
) -> None:
    sent = harness.send([track(None), track("Signed Up")])

    assert sent[0].outcome.kind is OutcomeKind.PERMANENT
    assert sent[0].outcome.code == "payload_invalid"
    assert sent[0].outcome.reason == (
        "Message Rejected: The root value is missing the required field 'name'."
    )
    assert sent[0].result.exchanges == []
    assert sent[1].outcome.kind is OutcomeKind.DELIVERED
    assert len(fake.bodies) == 1


def test_a_wrong_type_names_the_field() -> None:
    with pytest.raises(PayloadInvalid) as caught:
        check_payload(SendEvent.fields, {"name": "x", "user": "u", "revenue": "lots"})
    assert caught.value.field == "revenue"
    assert str(caught.value) == "The value at /revenue must be a number but it was a string."


def test_batch_gives_one_result_per_payload_and_splits_at_max_batch(
    harness: KitHarness, fake: FakeAcme
) -> None:
    events = [
        {"type": "identify", "userId": f"u{i}", "traits": {"email": "nope" if i == 2 else "a@b"}}
        for i in range(5)
    ]
    sent = harness.send(events)

    assert [len(body["users"]) for body in fake.bodies] == [3, 2]
    kinds = [s.outcome.kind for s in sent]
    assert (
        kinds == [OutcomeKind.DELIVERED] * 2 + [OutcomeKind.PERMANENT] + [OutcomeKind.DELIVERED] * 2
    )
    assert sent[2].outcome.reason == "Message Rejected: bad email"
    # Every event of a batch keeps the request it went in.
    assert len(sent[0].result.exchanges) == 1 and len(sent[3].result.exchanges) == 1


def test_a_kit_error_becomes_the_outcome_and_429_stops_the_rest_of_the_send(
    harness: KitHarness, fake: FakeAcme
) -> None:
    fake.script = [
        httpx.Response(200, json={"status": "FAIL", "message": "busy"}),
        httpx.Response(429, headers={"Retry-After": "7"}),
    ]
    sent = harness.send([track(), track(), track(), track()])

    assert sent[0].outcome.kind is OutcomeKind.TEMPORARY
    assert (sent[0].outcome.code, sent[0].outcome.reason) == (
        "acme_fail",
        "Acme failed the event: busy",
    )
    assert (sent[1].outcome.code, sent[1].outcome.retry_after) == ("http_429", 7.0)
    # Not sent: they share the 429 without costing the vendor a request each.
    assert [s.outcome.code for s in sent[2:]] == ["http_429", "http_429"]
    assert [s.result.exchanges for s in sent[2:]] == [[], []]
    assert len(fake.bodies) == 2


def test_secret_settings_are_hidden_from_every_exchange(harness: KitHarness) -> None:
    sent = harness.send([track()])

    exchange = sent[0].result.exchanges[0]
    assert harness.requests[0].headers["X-Key"] == "key-secret-42"
    assert "key-secret-42" not in orjson.dumps(exchange.as_dict()).decode()


def test_a_mapping_that_fails_on_an_event_rejects_it_with_where() -> None:
    mappings = [
        MappingSpec(
            "bad",
            "send_event",
            'type = "track"',
            {"name": {"@path": "$.event"}, "user": {"@json": {"value": "x", "mode": "nope"}}},
        )
    ]
    harness = KitHarness(ACME, {"api_key": "k1234"}, mappings=mappings)
    sent = harness.send([track()])
    assert sent[0].outcome.code == "payload_invalid"
    assert sent[0].outcome.reason.startswith("Message Rejected: the mapping failed on this event:")
    assert "/user/@json" in sent[0].outcome.reason


def test_token_cache_is_keyed_by_a_hash_of_the_secret_and_fetched_once() -> None:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"access_token": f"tok-{len(calls)}", "expires_in": 3600})

    harness = KitHarness(ACME, {"api_key": "k1234"}, transport=httpx.MockTransport(answer))
    settings = harness.parsed_settings
    ctx = harness.adapter.context(settings, harness._http)
    tokens = TokenCache()

    def fetch(secret: str) -> Any:
        return tokens.get(
            token_key("https://auth.test", "cid", secret),
            lambda: fetch_client_credentials(ctx, "https://auth.test/token", "cid", secret),
        )

    first, fetched = fetch("secret-one")
    again, fetched_again = fetch("secret-one")
    other, _ = fetch("secret-two")
    assert (first.access_token, fetched, again.access_token, fetched_again) == (
        "tok-1",
        True,
        "tok-1",
        False,
    )
    assert other.access_token == "tok-2"  # a changed secret never reuses the old token
    assert "secret-one" not in str(token_key("u", "c", "secret-one"))
    assert calls[0].content == (
        b"grant_type=client_credentials&client_id=cid&client_secret=secret-one"
    )
    exchanges = ctx.take_exchanges()
    assert exchanges[0].response_body == '{"access_token":"[redacted]","expires_in":3600}'
    assert "secret-one" not in (exchanges[0].request_body or "")


def test_refused_credentials_are_invalid_authentication() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client"})

    harness = KitHarness(ACME, {"api_key": "k1234"}, transport=httpx.MockTransport(answer))
    ctx = harness.adapter.context(harness.parsed_settings, harness._http)
    with pytest.raises(InvalidAuthentication) as caught:
        fetch_client_credentials(ctx, "https://auth.test/token", "cid", "s3cr3t-value")
    outcome = caught.value.outcome
    assert outcome.kind is OutcomeKind.PERMANENT
    assert outcome.code == "invalid_authentication"
    assert outcome.reason.endswith("(check credentials)")
    assert "s3cr3t-value" not in outcome.reason
