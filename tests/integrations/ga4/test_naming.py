"""GA4's naming rules and limits, through the harness: what would be dropped is refused as
"Message Rejected" naming the field and never sent; what is kept reaches the fake intact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from switchboard.integrations.base import OutcomeKind
from switchboard.integrations.ga4.naming import check_params, user_properties
from switchboard.integrations.kit.errors import PayloadInvalid
from tests.fakes.ga4 import FakeGa4
from tests.integrations.ga4.conftest import MakeHarness
from tests.integrations.ga4.support import mapping, order_completed, page, track


def refused(
    harness: MakeHarness, ga4: FakeGa4, event: dict[str, Any], *changes: dict[str, Any]
) -> str:
    """The reason `event` was refused with; asserts nothing was sent."""
    mappings = [mapping(changes[0].pop("action", "custom_event"), **changes[0])] if changes else []
    before = len(ga4.requests)
    (sent,) = harness(*mappings).send([event])
    assert sent.outcome.kind is OutcomeKind.PERMANENT
    assert sent.outcome.code == "payload_invalid"
    assert len(ga4.requests) == before
    return sent.outcome.reason


@pytest.mark.parametrize(
    ("name", "lowercase", "sent"),
    [
        ("Signed Up", False, "Signed_Up"),
        ("  Signed\tUp  ", False, "Signed_Up"),
        ("Signed Up", True, "signed_up"),
        ("Prüfung Bestanden", False, "Prüfung_Bestanden"),  # letters of any script
        ("x" * 40, False, "x" * 40),
    ],
)
def test_event_names_are_normalised_as_segment_does(
    harness: MakeHarness, ga4: FakeGa4, name: str, lowercase: bool, sent: str
) -> None:
    (result,) = harness(mapping("custom_event", lowercase=lowercase)).send([track(name)])

    assert result.outcome.kind is OutcomeKind.DELIVERED
    assert ga4.bodies()[0]["events"][0]["name"] == sent
    assert [event["name"] for event in ga4.events] == [sent]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("x" * 41, "is longer than 40 characters"),
        ("1st Order", "must start with a letter and hold only letters, digits and underscores"),
        ("Signed-Up", "must start with a letter"),
        ("_private", "must start with a letter"),
        ("ga_session", "starts with a reserved prefix (ga_, google_, firebase_)"),
        ("Google Sync", "starts with a reserved prefix"),
        ("firebase_x", "starts with a reserved prefix"),
        ("session_start", "is reserved by Google Analytics"),
        ("click", "is reserved by Google Analytics"),
    ],
)
def test_event_names_ga4_refuses(harness: MakeHarness, ga4: FakeGa4, name: str, why: str) -> None:
    reason = refused(harness, ga4, track(name))
    assert reason.startswith(f"Message Rejected: the event name {name.replace(' ', '_')!r} {why}")


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"x" * 41: 1}, f"the parameter name {'x' * 41!r} is longer than 40 characters"),
        ({"plan type": "pro"}, "the parameter name 'plan type' must start with a letter"),
        ({"ga_plan": "pro"}, "the parameter name 'ga_plan' starts with a reserved prefix"),
        ({"note": "x" * 101}, "the value at params.note is longer than 100 characters"),
        ({"tags": ["a", "b"]}, "the value at params.tags must be a string or a number"),
        ({"nested": {"a": 1}}, "(GA4 takes no lists, objects or booleans)"),
        ({"paid": True}, "the value at params.paid must be a string"),
        (
            {f"p{n}": n for n in range(25)},
            "an event may have at most 25 parameters, this one has 26",
        ),
    ],
)
def test_params_ga4_would_drop(
    harness: MakeHarness, ga4: FakeGa4, properties: dict[str, Any], message: str
) -> None:
    assert message in refused(harness, ga4, track(**properties))


def test_up_to_25_params_and_100_characters_pass(harness: MakeHarness, ga4: FakeGa4) -> None:
    properties: dict[str, Any] = {f"p{n}": n for n in range(23)}
    properties["note"] = "x" * 100
    (result,) = harness().send([track(**properties, empty=None)])

    assert result.outcome.kind is OutcomeKind.DELIVERED
    params = ga4.bodies()[0]["events"][0]["params"]
    assert len(params) == 25 and "empty" not in params  # null values are left out
    assert len(ga4.events) == 1


def test_page_parameters_may_run_longer(harness: MakeHarness, ga4: FakeGa4) -> None:
    long_url = "https://example.com/" + "a" * 970
    long_page = {"url": long_url, "title": "t" * 300, "referrer": "https://r.example/" + "r" * 400}
    (result,) = harness().send([page(**long_page)])
    assert result.outcome.kind is OutcomeKind.DELIVERED
    assert len(ga4.events) == 1

    reason = refused(harness, ga4, page(url=long_url + "a" * 20))
    assert (
        reason
        == "Message Rejected: the value at params.page_location is longer than 1000 characters"
    )


@pytest.mark.parametrize(
    ("check", "field"),
    [
        (lambda: check_params({"note": "x" * 101}), "params.note"),
        (lambda: check_params({"items": [{"item_id": "p", "ga_x": 1}]}), "params.items.0.ga_x"),
        (lambda: user_properties({"plan": "x" * 37}), "user_properties.plan"),
    ],
)
def test_the_refusal_names_the_field(check: Callable[[], Any], field: str) -> None:
    with pytest.raises(PayloadInvalid) as caught:
        check()
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("traits", "message"),
    [
        ({"x" * 25: "a"}, "is longer than 24 characters"),
        ({"plan": "x" * 37}, "the value at user_properties.plan is longer than 36 characters"),
        ({"first_open_time": 1}, "the user property name 'first_open_time' is reserved"),
        ({"google_id": "a"}, "starts with a reserved prefix"),
        ({f"t{n}": n for n in range(26)}, "at most 25 user properties may be sent, not 26"),
    ],
)
def test_user_properties_ga4_would_drop(
    harness: MakeHarness, ga4: FakeGa4, traits: dict[str, Any], message: str
) -> None:
    event = track()
    event["context"] = {"traits": traits}
    changes = {"user_properties": {"@path": "$.context.traits"}}
    assert message in refused(harness, ga4, event, changes)


def test_a_user_id_longer_than_256_characters(harness: MakeHarness, ga4: FakeGa4) -> None:
    event = track()
    event["userId"] = "u" * 257
    assert "user_id is longer than 256 characters" in refused(harness, ga4, event)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            {"order_id": "o-1", "currency": "euro", "products": [{"product_id": "p"}]},
            "'euro' is not",
        ),
        (
            {"order_id": "o-1", "currency": "EUR", "products": [{"price": 1}]},
            "item_id or an item_name",
        ),
        ({"order_id": "o-1", "products": [{"product_id": "p"}]}, "required field 'currency'"),
        ({"currency": "EUR", "products": [{"product_id": "p"}]}, "required field 'transaction_id'"),
    ],
)
def test_purchases_ga4_would_drop(
    harness: MakeHarness, ga4: FakeGa4, properties: dict[str, Any], message: str
) -> None:
    assert message in refused(harness, ga4, order_completed(**properties), {"action": "purchase"})


def test_a_timestamp_that_is_not_a_time(harness: MakeHarness, ga4: FakeGa4) -> None:
    event = track()
    event["timestamp"] = "yesterday"
    assert "'yesterday' is neither an ISO 8601 time nor microseconds" in refused(
        harness, ga4, event
    )
