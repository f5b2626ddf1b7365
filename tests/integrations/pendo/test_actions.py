"""What each Pendo action makes of an event and sends to a fake Pendo on loopback, through
the destination's presets (or given mappings), as a deliver job sends them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from switchboard import __version__
from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Message, SendContext
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import KitHarness
from switchboard.integrations.pendo import DESTINATION
from tests.fakes.pendo import INTEGRATION_KEY, TRACK_SECRET, FakePendo
from tests.integrations.pendo.events import Send, group, identify, results, track
from tests.integrations.verdicts import judge, kinds

# -- the presets -------------------------------------------------------------------------------


def test_the_presets_are_the_three_actions_on_their_calls() -> None:
    assert [(m.name, m.action, m.trigger) for m in DESTINATION.preset_mappings()] == [
        ("Identify visitor", "identify_visitor", 'type = "identify"'),
        ("Group account", "group_account", 'type = "group"'),
        ("Send track event", "send_track_event", 'type = "track"'),
    ]


def preset_payloads(event: dict[str, Any]) -> list[dict[str, Any]]:
    harness = KitHarness(DESTINATION, {"integration_key": INTEGRATION_KEY})
    try:
        return harness.payloads(event)
    finally:
        harness.close()


def test_the_identify_preset_payload() -> None:
    event = identify(groupId="acct-9", name="Ada", address={"city": "Paris"})
    assert preset_payloads(event) == [
        {
            "visitor_id": "u-1",
            "account_id": "acct-9",
            "metadata": {"groupId": "acct-9", "name": "Ada", "address": {"city": "Paris"}},
            "metadata_group": "agent",
        }
    ]


def test_the_group_preset_payload() -> None:
    assert preset_payloads(group()) == [
        {
            "account_id": "acct-1",
            "metadata": {"name": "Initech", "employees": 120},
            "metadata_group": "agent",
        }
    ]


def test_the_track_preset_payload() -> None:
    event = track()
    event["context"]["groupId"] = "acct-3"
    event["properties"]["groupId"] = "acct-4"
    assert preset_payloads(event) == [
        {
            "event_name": "Order Completed",
            "visitor_id": "u-1",
            "account_id": "acct-3",
            "timestamp": "2024-05-01T12:00:00.250Z",
            "properties": {"total": 12.5, "n": 1, "groupId": "acct-4"},
            "ip": "203.0.113.9",
            "user_agent": "Mozilla/5.0",
            "url": "https://app.example.com/cart",
            "title": "Cart",
        }
    ]


def test_the_track_preset_falls_back_to_properties_and_received_at() -> None:
    event = {
        "type": "track",
        "userId": 42,
        "event": "Signed Up",
        "properties": {"groupId": 7},
        "context": {"groupId": ""},
        "receivedAt": "2024-05-02T08:30:00.125Z",
    }
    assert preset_payloads(event) == [
        {
            "event_name": "Signed Up",
            "visitor_id": "42",
            "account_id": "7",
            "timestamp": "2024-05-02T08:30:00.125Z",
            "properties": {"groupId": 7},
        }
    ]


@pytest.mark.parametrize("call", ["page", "screen", "alias"])
def test_page_screen_and_alias_match_no_preset(call: str) -> None:
    assert preset_payloads({"type": call, "userId": "u-1"}) == []


# -- what each call sends ----------------------------------------------------------------------


def test_identify_updates_the_visitor_with_its_traits(send: Send, pendo: FakePendo) -> None:
    (sent,) = send(pendo, [identify()])

    assert (sent.mapping.action, judge(sent.outcome).kind) == (
        "identify_visitor",
        AttemptOutcome.DELIVERED,
    )
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
    (exchange,) = sent.result.exchanges
    assert (exchange.status, exchange.request_body) == (200, received.body.decode())


def test_a_group_id_trait_ties_the_visitor_to_the_account(send: Send, pendo: FakePendo) -> None:
    event = identify(groupId="acct-9", name="Ada", address={"city": "Paris", "geo": {"lat": 1}})
    (sent,) = send(pendo, [event])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
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


def test_group_updates_the_account_with_the_group_traits(send: Send, pendo: FakePendo) -> None:
    (sent,) = send(pendo, [group()])

    assert (sent.mapping.action, judge(sent.outcome).kind) == (
        "group_account",
        AttemptOutcome.DELIVERED,
    )
    (received,) = pendo.requests
    assert received.path == "/api/v1/metadata/account/agent/value?create=true"
    assert json.loads(received.body) == [
        {"accountId": "acct-1", "values": {"name": "Initech", "employees": 120}}
    ]
    assert received.header("x-pendo-integration-key") == INTEGRATION_KEY
    assert pendo.accounts == {"acct-1": {"name": "Initech", "employees": 120}}


def test_track_posts_a_track_event_with_the_shared_secret(send: Send, pendo: FakePendo) -> None:
    event = track()
    event["context"]["groupId"] = "acct-3"
    (sent,) = send(pendo, [event])

    assert (sent.mapping.action, judge(sent.outcome).kind) == (
        "send_track_event",
        AttemptOutcome.DELIVERED,
    )
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
    send: Send, pendo: FakePendo
) -> None:
    event = track(properties={"groupId": 42})
    del event["context"]
    (sent,) = send(pendo, [event])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    body = json.loads(pendo.requests[0].body)
    assert (body["accountId"], body["context"]) == ("42", {})


def with_metadata_group(metadata_group: str) -> list[MappingSpec]:
    return [
        MappingSpec(
            m.name,
            m.action,
            m.trigger,
            {**m.mapping, "metadata_group": metadata_group}
            if "metadata_group" in m.mapping
            else m.mapping,
        )
        for m in DESTINATION.preset_mappings()
    ]


def test_custom_metadata_group(send: Send) -> None:
    with FakePendo(custom_fields=frozenset({"plan", "name"})) as pendo:
        sent = send(
            pendo,
            [identify(plan="pro"), identify("u-2", plan="free", seats=3), group(name="Initech")],
            mappings=with_metadata_group("custom"),
        )
        assert [r.path for r in pendo.requests] == [
            "/api/v1/metadata/visitor/custom/value?create=true",
            "/api/v1/metadata/visitor/custom/value?create=true",
            "/api/v1/metadata/account/custom/value?create=true",
        ]
        assert pendo.visitors == {"u-1": {"plan": "pro"}}
        assert pendo.accounts == {"acct-1": {"name": "Initech"}}
    assert kinds(results(sent)) == [
        AttemptOutcome.DELIVERED,
        AttemptOutcome.FAILED,
        AttemptOutcome.DELIVERED,
    ]
    assert (sent[1].outcome.code, sent[1].outcome.reason) == (
        "rejected",
        "Message Rejected: Pendo did not update the record: visitor u-2: unknown custom field "
        "'seats'",
    )


def test_a_metadata_group_pendo_does_not_have_is_rejected(send: Send, pendo: FakePendo) -> None:
    (sent,) = send(pendo, [identify()], mappings=with_metadata_group("salesforce"))
    assert (sent.outcome.code, sent.outcome.reason) == (
        "payload_invalid",
        "Message Rejected: The value at /metadata_group must be one of: agent, custom.",
    )
    assert pendo.requests == []


def test_a_mapping_of_its_own_decides_what_is_sent(send: Send, pendo: FakePendo) -> None:
    mappings = [
        MappingSpec(
            "Visitors by email",
            "identify_visitor",
            'type = "identify" and traits.plan = "pro"',
            {
                "visitor_id": {"@path": "$.traits.email"},
                "metadata": {"plan": {"@path": "$.traits.plan"}, "source": "switchboard"},
                "metadata_group": "agent",
            },
        )
    ]
    sent = send(pendo, [identify(), identify("u-2", plan="free")], mappings=mappings)

    assert [(s.event_index, judge(s.outcome).kind) for s in sent] == [(0, AttemptOutcome.DELIVERED)]
    assert pendo.visitors == {"ada@example.com": {"plan": "pro", "source": "switchboard"}}


def test_one_request_per_event_in_order(send: Send, pendo: FakePendo) -> None:
    sent = send(pendo, [identify(), group(), track(1), track(2)])
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 4
    assert [s.event_index for s in sent] == [0, 1, 2, 3]
    assert [r.path.split("?")[0] for r in pendo.requests] == [
        "/api/v1/metadata/visitor/agent/value",
        "/api/v1/metadata/account/agent/value",
        "/data/track",
        "/data/track",
    ]
    assert [len(s.result.exchanges) for s in sent] == [1, 1, 1, 1]


def test_no_events_no_requests(send: Send, pendo: FakePendo) -> None:
    assert send(pendo, []) == []
    assert pendo.requests == []


class OtherSettings(BaseModel):
    api_base_url: str = ""


def test_settings_of_another_destination_are_a_bug() -> None:
    harness = KitHarness(DESTINATION, {"integration_key": INTEGRATION_KEY})
    with httpx.Client() as client, pytest.raises(TypeError, match="PendoSettings"):
        harness.adapter.send(OtherSettings(), [Message(1, track())], SendContext(http=client))
    harness.close()


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
            {**identify(), "userId": "  "},
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
            {**track(), "timestamp": None},
            "invalid_timestamp",
            "the event has no timestamp",
        ),
        (
            {**track(), "properties": {"big": 2**70}},
            "invalid_json",
            "the event cannot be sent as JSON: Integer exceeds 64-bit range",
        ),
        (
            {**identify(), "traits": {"big": 2**70}},
            "invalid_json",
            "the event cannot be sent as JSON: Integer exceeds 64-bit range",
        ),
    ],
)
def test_an_event_pendo_cannot_take_fails_alone(
    send: Send, pendo: FakePendo, event: dict[str, Any], code: str, reason: str
) -> None:
    sent = send(pendo, [track(1), event, track(3)])

    assert kinds(results(sent)) == [
        AttemptOutcome.DELIVERED,
        AttemptOutcome.FAILED,
        AttemptOutcome.DELIVERED,
    ]
    rejected = next(s for s in sent if s.event_index == 1)
    assert (rejected.outcome.code, rejected.outcome.reason) == (
        code,
        f"Message Rejected: {reason}",
    )
    assert rejected.result.exchanges == []
    assert len(pendo.requests) == 2


@pytest.mark.parametrize("call", ["page", "screen", "alias"])
def test_page_screen_and_alias_reach_no_action(send: Send, pendo: FakePendo, call: str) -> None:
    sent = send(pendo, [track(1), {"type": call, "userId": "u-1", "messageId": "m-x"}, track(3)])

    assert [s.event_index for s in sent] == [0, 2]
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 2
    assert len(pendo.requests) == 2


def test_a_call_whose_credential_is_not_set_fails_without_a_request(
    send: Send, pendo: FakePendo
) -> None:
    sent = send(pendo, [identify(), track()], track_event_secret=None)

    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED, AttemptOutcome.FAILED]
    assert sent[1].outcome.code == "missing_credential"
    assert sent[1].outcome.reason == (
        "track calls need the Track Event Shared Secret setting (check credentials)"
    )
    assert sent[1].result.exchanges == []
    assert len(pendo.requests) == 1


def test_identify_and_group_need_the_integration_key(send: Send, pendo: FakePendo) -> None:
    sent = send(pendo, [identify(), group(), track()], integration_key=None)

    assert [(s.outcome.code, s.outcome.reason) for s in sent[:2]] == [
        (
            "missing_credential",
            "identify calls need the integration key setting (check credentials)",
        ),
        ("missing_credential", "group calls need the integration key setting (check credentials)"),
    ]
    assert judge(sent[2].outcome).kind is AttemptOutcome.DELIVERED
    assert [r.path for r in pendo.requests] == ["/data/track"]
