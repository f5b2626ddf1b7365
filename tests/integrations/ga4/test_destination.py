"""GA4 through KitHarness against the fake Measurement Protocol: what each preset and action
sends, batching per client, failures, test connection, and the API secret kept out of every
recorded exchange."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from switchboard.integrations.base import OutcomeKind
from switchboard.integrations.ga4 import DESTINATION
from switchboard.integrations.http import REDACTED
from switchboard.integrations.kit.errors import (
    HTTPFailure,
    InvalidAuthentication,
    PayloadInvalid,
    UnexpectedResponse,
)
from switchboard.integrations.registry import load_adapters
from tests.fakes.ga4 import API_SECRET, MEASUREMENT_ID, FakeGa4
from tests.fakes.sink import Reply
from tests.integrations.ga4.conftest import MakeHarness
from tests.integrations.ga4.support import (
    STAMP,
    mapping,
    order_completed,
    page,
    track,
)


def test_registered_as_a_builtin_with_its_presets() -> None:
    adapter = load_adapters([])["ga4"]
    assert adapter.display_name == "Google Analytics 4"
    assert [(m.name, m.action, m.trigger) for m in DESTINATION.preset_mappings()] == [
        ("Custom event", "custom_event", 'type = "track"'),
        ("Page view", "page_view", 'type = "page"'),
    ]


# -- what each preset and action sends ---------------------------------------------------------


def test_custom_event_preset(harness: MakeHarness, ga4: FakeGa4) -> None:
    (sent,) = harness().send([track("Signed Up")])

    assert sent.outcome.kind is OutcomeKind.DELIVERED
    (received,) = ga4.requests
    parts = urlsplit(received.path)
    assert (received.method, parts.path) == ("POST", "/mp/collect")
    assert parse_qs(parts.query) == {"measurement_id": [MEASUREMENT_ID], "api_secret": [API_SECRET]}
    assert received.header("content-type") == "application/json"
    assert json.loads(received.body) == {
        "client_id": "anon-1",
        "user_id": "u-1",
        "timestamp_micros": STAMP,
        "events": [
            {
                "name": "Signed_Up",
                "params": {"engagement_time_msec": 1, "plan": "pro", "seats": 3},
            }
        ],
    }
    assert [event["name"] for event in ga4.events] == ["Signed_Up"]  # valid: the fake kept it


def test_page_view_preset(harness: MakeHarness, ga4: FakeGa4) -> None:
    (sent,) = harness().send([page()])

    assert sent.outcome.kind is OutcomeKind.DELIVERED
    assert ga4.bodies() == [
        {
            "client_id": "anon-1",
            "timestamp_micros": STAMP,
            "events": [
                {
                    "name": "page_view",
                    "params": {
                        "page_location": "https://example.com/pricing",
                        "page_title": "Pricing",
                        "page_referrer": "https://example.com/",
                        "engagement_time_msec": 1,
                    },
                }
            ],
        }
    ]
    assert len(ga4.events) == 1


def test_purchase_maps_the_order_and_its_products(harness: MakeHarness, ga4: FakeGa4) -> None:
    (sent,) = harness(mapping("purchase")).send([order_completed()])

    assert sent.outcome.kind is OutcomeKind.DELIVERED
    (body,) = ga4.bodies()
    assert body["events"] == [
        {
            "name": "purchase",
            "params": {
                "currency": "EUR",
                "value": 30.5,
                "transaction_id": "o-9",
                "coupon": "SPRING",
                "tax": 2.5,
                "items": [
                    {"item_id": "p-1", "item_name": "Mug", "price": 10, "quantity": 2},
                    {"item_id": "p-2", "item_name": "Tee", "index": 1, "price": 10.5},
                ],
                "engagement_time_msec": 1,
            },
        }
    ]
    assert len(ga4.events) == 1


def test_purchase_triggers_only_on_order_completed(harness: MakeHarness, ga4: FakeGa4) -> None:
    sent = harness(mapping("purchase")).send([track("Signed Up"), order_completed()])
    assert [s.event_index for s in sent] == [1]


def test_add_to_cart_takes_the_product_from_the_properties(
    harness: MakeHarness, ga4: FakeGa4
) -> None:
    event = track("Product Added", product_id="p-1", name="Mug", price=10, currency="usd")
    (sent,) = harness(mapping("add_to_cart")).send([event])

    assert sent.outcome.kind is OutcomeKind.DELIVERED
    assert ga4.bodies()[0]["events"][0] == {
        "name": "add_to_cart",
        "params": {
            "currency": "USD",
            "value": 10,
            "items": [{"item_id": "p-1", "item_name": "Mug", "price": 10}],
            "engagement_time_msec": 1,
        },
    }


def test_user_properties_and_params_from_the_mapping(harness: MakeHarness, ga4: FakeGa4) -> None:
    custom = mapping(
        "custom_event",
        lowercase=True,
        user_properties={"plan": {"@path": "$.properties.plan"}},
        params={"seats": {"@path": "$.properties.seats"}, "session_id": "s-1"},
    )
    (sent,) = harness(custom).send([track("Signed Up")])

    assert sent.outcome.kind is OutcomeKind.DELIVERED
    (body,) = ga4.bodies()
    assert body["user_properties"] == {"plan": {"value": "pro"}}
    assert body["events"] == [
        {
            "name": "signed_up",
            "params": {"engagement_time_msec": 1, "seats": 3, "session_id": "s-1"},
        }
    ]


def test_an_event_without_an_anonymous_id_is_rejected_naming_client_id(
    harness: MakeHarness, ga4: FakeGa4
) -> None:
    event = track()
    del event["anonymousId"]
    (sent,) = harness().send([event])

    assert sent.outcome.code == "payload_invalid"
    assert "'client_id'" in sent.outcome.reason
    assert ga4.requests == []


# -- batching ----------------------------------------------------------------------------------


def test_events_of_one_client_share_a_request_with_their_own_times(
    harness: MakeHarness, ga4: FakeGa4
) -> None:
    events = [track("A", "anon-1"), track("B", "anon-2"), track("C", "anon-1")]
    events[2]["timestamp"] = "2024-05-01T12:00:01Z"
    sent = harness().send(events)

    assert [s.outcome.kind for s in sent] == [OutcomeKind.DELIVERED] * 3
    first, second = ga4.bodies()
    assert first["client_id"] == "anon-1" and "timestamp_micros" not in first
    assert [(e["name"], e["timestamp_micros"]) for e in first["events"]] == [
        ("A", STAMP),
        ("C", STAMP + 750_000),
    ]
    assert (second["client_id"], second["timestamp_micros"]) == ("anon-2", STAMP)
    # Each event keeps the request it went in.
    assert sent[0].result.exchanges == sent[2].result.exchanges != sent[1].result.exchanges
    assert len(ga4.events) == 3


def test_different_user_properties_go_in_different_requests(
    harness: MakeHarness, ga4: FakeGa4
) -> None:
    custom = mapping("custom_event", user_properties={"plan": {"@path": "$.properties.plan"}})
    sent = harness(custom).send([track(plan="pro"), track(plan="free"), track(plan="pro")])

    assert [s.outcome.kind for s in sent] == [OutcomeKind.DELIVERED] * 3
    assert [len(body["events"]) for body in ga4.bodies()] == [2, 1]


def test_at_most_25_events_a_request(harness: MakeHarness, ga4: FakeGa4) -> None:
    sent = harness().send([track(f"Step {n}") for n in range(30)])

    assert all(s.outcome.kind is OutcomeKind.DELIVERED for s in sent)
    assert [len(body["events"]) for body in ga4.bodies()] == [25, 5]
    assert len(ga4.events) == 30


def test_a_bad_event_in_a_batch_fails_alone(harness: MakeHarness, ga4: FakeGa4) -> None:
    sent = harness().send([track("A"), track("1 bad"), track("C")])

    assert [s.outcome.code for s in sent] == ["", "payload_invalid", ""]
    assert sent[1].result.exchanges == []
    assert [[e["name"] for e in body["events"]] for body in ga4.bodies()] == [["A", "C"]]


# -- failures ----------------------------------------------------------------------------------


def test_a_5xx_is_the_outcome_of_the_events_of_that_request(
    harness: MakeHarness, ga4: FakeGa4
) -> None:
    ga4.script(Reply(503, {"Content-Type": "text/plain"}, "busy"))
    sent = harness().send([track("A", "anon-1"), track("B", "anon-2")])

    assert [s.outcome.code for s in sent] == ["http_503", ""]
    assert sent[0].outcome.reason == "HTTP 503 Service Unavailable: busy"


def test_a_429_stops_the_rest_of_the_send(harness: MakeHarness, ga4: FakeGa4) -> None:
    ga4.script(Reply(429, {"Retry-After": "30"}))
    sent = harness().send([track("A", "anon-1"), track("B", "anon-2"), track("C", "anon-3")])

    assert [(s.outcome.code, s.outcome.retry_after) for s in sent] == [("http_429", 30.0)] * 3
    assert len(ga4.requests) == 1
    assert [s.result.exchanges for s in sent[1:]] == [[], []]


def test_google_drops_a_bad_request_silently_so_an_unknown_secret_still_delivers(
    harness: MakeHarness,
    ga4: FakeGa4,
) -> None:
    """What "Test connection" is for: collect says 2xx to a wrong secret too."""
    (sent,) = harness(api_secret="not-the-secret").send([track()])

    assert sent.outcome.kind is OutcomeKind.DELIVERED
    assert ga4.events == []


# -- test connection ---------------------------------------------------------------------------


def test_connection_passes_with_the_stream_and_its_secret(
    harness: MakeHarness, ga4: FakeGa4
) -> None:
    harness().test_connection()

    (received,) = ga4.requests
    assert urlsplit(received.path).path == "/debug/mp/collect"
    assert ga4.events == []


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"api_secret": "not-the-secret"}, "VALUE_INVALID at api_secret"),
        ({"measurement_id": "G-UNKNOWN1"}, "Measurement ID [G-UNKNOWN1] is not a known"),
    ],
)
def test_connection_fails_on_refused_credentials(
    harness: MakeHarness, ga4: FakeGa4, changes: dict[str, str], said: str
) -> None:
    with pytest.raises(InvalidAuthentication) as caught:
        harness(**changes).test_connection()

    assert said in caught.value.message
    assert caught.value.outcome.reason.endswith("(check credentials)")


def test_connection_fails_on_other_validation_messages(harness: MakeHarness, ga4: FakeGa4) -> None:
    problem = {"fieldPath": "events", "description": "Bad.", "validationCode": "VALUE_INVALID"}
    ga4.script(Reply(200, {}, json.dumps({"validationMessages": [problem]})))

    with pytest.raises(PayloadInvalid) as caught:
        harness().test_connection()

    assert caught.value.field == "events"
    assert "Bad. (VALUE_INVALID at events)" in caught.value.message


def test_connection_fails_on_an_answer_it_cannot_read(harness: MakeHarness, ga4: FakeGa4) -> None:
    ga4.script(Reply(200, {"Content-Type": "text/html"}, "<html>"), Reply(500))

    with pytest.raises(UnexpectedResponse):
        harness().test_connection()
    with pytest.raises(HTTPFailure) as caught:
        harness().test_connection()
    assert caught.value.status == 500


# -- redaction ---------------------------------------------------------------------------------


def test_the_api_secret_never_appears_in_a_recorded_exchange(
    harness: MakeHarness, ga4: FakeGa4
) -> None:
    # The fake echoes the secret back, as a proxy or an error page might.
    ga4.script(Reply(200, {"X-Echo": API_SECRET}, f"api_secret={API_SECRET}"))
    (sent,) = harness().send([track()])

    (exchange,) = sent.result.exchanges
    assert API_SECRET in ga4.requests[0].path  # Google gets it
    recorded = orjson.dumps(exchange.as_dict()).decode()
    assert API_SECRET not in recorded
    assert f"api_secret={REDACTED}" in exchange.url
    assert f"measurement_id={MEASUREMENT_ID}" in exchange.url
