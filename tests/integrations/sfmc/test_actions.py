"""What each action sends, through the kit's routing and mappings, to a fake Marketing Cloud."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from switchboard import __version__
from switchboard.deliveries.status import AttemptOutcome
from switchboard.integrations.base import Message, Result, SendContext
from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import Sent
from switchboard.integrations.sfmc import DESTINATION
from tests.fakes.sfmc import CLIENT_ID, CLIENT_SECRET, DATA_EXTENSION, EVENT_DEFINITION, FakeSFMC
from tests.integrations.sfmc.events import (
    IDENTIFY_ROW,
    SIGNUP_JOURNEY,
    SIGNUP_KEY,
    USER_ID,
    Harness,
    identify,
    track,
)
from tests.integrations.verdicts import judge, kinds


def results(sent: list[Sent]) -> list[Result]:
    return [s.result for s in sent]


# -- send event to journey ---------------------------------------------------------------------


def test_identify_fetches_a_token_and_enters_the_journey(harness: Harness, sfmc: FakeSFMC) -> None:
    (sent,) = harness().send([identify()])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    token_request, event_request = sfmc.requests
    assert (token_request.method, token_request.path) == ("POST", "/v2/token")
    assert token_request.header("content-type") == "application/json"
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
    assert [e.status for e in sent.result.exchanges] == [200, 201]


def test_a_mapped_track_event_enters_its_journey_with_scalar_properties(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    (sent,) = harness().send([track(3)])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert sfmc.journey_entries == [
        {"ContactKey": "u-1", "EventDefinitionKey": SIGNUP_KEY, "Data": {"plan": "pro", "seats": 3}}
    ]


def test_a_journey_fed_like_the_seed_function_maps_a_nested_trait(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    # The seed's hand-written function: ContactKey from the userId, and Data built from
    # userId, email, name and traits.company.industry.
    seed = MappingSpec(
        "Welcome journey",
        "send_event_to_journey",
        'type = "identify"',
        {
            "contact_key": USER_ID,
            "event_definition_key": EVENT_DEFINITION,
            "data": {
                "userid": USER_ID,
                "email": {"@path": "$.traits.email"},
                "name": {"@path": "$.traits.name"},
                "industry": {"@path": "$.traits.company.industry"},
            },
        },
    )
    event = {
        "type": "identify",
        "userId": "id12345",
        "traits": {
            "email": "myemail@example.com",
            "name": "Test Name",
            "company": {"industry": "Technology"},
        },
        "timestamp": "2023-04-24T00:00:00.000Z",
    }
    (sent,) = harness([seed]).send([event])

    assert sent.outcome.kind.value == "delivered"
    assert sfmc.journey_entries == [
        {
            "ContactKey": "id12345",
            "EventDefinitionKey": EVENT_DEFINITION,
            "Data": {
                "email": "myemail@example.com",
                "industry": "Technology",
                "name": "Test Name",
                "userid": "id12345",
            },
        }
    ]


def test_objects_lists_and_nulls_are_left_out_of_the_data(harness: Harness, sfmc: FakeSFMC) -> None:
    event = identify(email="a@b.c", company={"industry": "Tech"}, tags=["a"], gone=None, vip=True)
    harness().send([event])
    assert sfmc.journey_entries[0]["Data"] == {"email": "a@b.c", "vip": True}


def test_an_event_without_data_still_sends_an_empty_data_object(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    harness().send([{"type": "track", "userId": "u-1", "event": "Signed Up"}])
    assert sfmc.journey_entries[0]["Data"] == {}


def test_events_no_mapping_takes_are_not_sent(harness: Harness, sfmc: FakeSFMC) -> None:
    # Routing records them as unsupported: an unmapped track event, a track without a name,
    # a page call; identify here has no mapping at all.
    sent = harness([SIGNUP_JOURNEY]).send(
        [
            track(1),
            track(2, "Order Completed"),
            {**track(3), "event": ""},
            {**track(4), "type": "page"},
            identify(),
            track(5),
        ]
    )

    assert [s.event_index for s in sent] == [0, 5]
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 2
    assert len(sfmc.api_requests) == 2


@pytest.mark.parametrize(
    ("event", "code", "reason"),
    [
        (
            {**identify(), "userId": None, "anonymousId": "a-1"},
            "payload_invalid",
            "Message Rejected: The root value is missing the required field 'contact_key'.",
        ),
        (
            identify(big=2**70),
            "invalid_json",
            "Message Rejected: the event cannot be sent as JSON: Integer exceeds 64-bit range",
        ),
    ],
)
def test_an_event_sfmc_cannot_take_fails_alone_without_a_request(
    harness: Harness, sfmc: FakeSFMC, event: dict[str, Any], code: str, reason: str
) -> None:
    sent = harness().send([event, track()])

    assert kinds(results(sent)) == [AttemptOutcome.FAILED, AttemptOutcome.DELIVERED]
    assert (sent[0].outcome.code, sent[0].outcome.reason) == (code, reason)
    assert sent[0].result.exchanges == []
    assert len(sfmc.api_requests) == 1


def test_the_event_definition_key_is_required(harness: Harness, sfmc: FakeSFMC) -> None:
    mapping = MappingSpec(
        "no key", "send_event_to_journey", 'type = "track"', {"contact_key": USER_ID}
    )
    (sent,) = harness([mapping]).send([track()])
    assert sent.outcome.reason == (
        "Message Rejected: The root value is missing the required field 'event_definition_key'."
    )
    assert sfmc.requests == []


class OtherSettings(BaseModel):
    x: int = 0


def test_settings_of_another_destination_are_a_bug(harness: Harness) -> None:
    adapter = harness().adapter
    with httpx.Client() as client, pytest.raises(TypeError, match="SFMCSettings"):
        adapter.send(OtherSettings(), [Message(1, track())], SendContext(http=client))


# -- upsert data extension row -----------------------------------------------------------------


def test_identify_upserts_the_row_then_enters_the_journey(harness: Harness, sfmc: FakeSFMC) -> None:
    values = {
        "Email": {"@path": "$.traits.email"},
        "Industry": {"@path": "$.traits.company.industry"},
        "Gone": {"@path": "$.traits.missing"},
    }
    row = MappingSpec(
        "row",
        "upsert_data_extension_row",
        'type = "identify"',
        {"key": DATA_EXTENSION, "keys": {"Contact Key": USER_ID}, "values": values},
    )
    journey = MappingSpec(
        "journey",
        "send_event_to_journey",
        'type = "identify"',
        {"contact_key": USER_ID, "event_definition_key": EVENT_DEFINITION, "data": values},
    )
    event = identify(email="ada@example.com", company={"industry": "Tech"}, tags=["a"])
    upserted, entered = harness([row, journey]).send([event])

    assert kinds([upserted.result, entered.result]) == [AttemptOutcome.DELIVERED] * 2
    rowset, entry = sfmc.api_requests
    assert rowset.path == f"/hub/v1/dataevents/key:{DATA_EXTENSION}/rowset"
    written = {"Email": "ada@example.com", "Industry": "Tech"}
    assert json.loads(rowset.body) == [{"keys": {"Contact Key": "u-1"}, "values": written}]
    assert json.loads(entry.body)["Data"] == written
    assert sfmc.rows == {
        DATA_EXTENSION: {'{"Contact Key": "u-1"}': {**written, "Contact Key": "u-1"}}
    }
    assert [e.status for e in upserted.result.exchanges] == [200, 200]
    assert [e.status for e in entered.result.exchanges] == [201]


def test_identify_with_only_a_data_extension_does_not_enter_a_journey(
    harness: Harness, sfmc: FakeSFMC
) -> None:
    (sent,) = harness([IDENTIFY_ROW]).send([identify()])
    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert [r.path for r in sfmc.api_requests] == [
        f"/hub/v1/dataevents/key:{DATA_EXTENSION}/rowset"
    ]
    assert sfmc.journey_entries == []


def test_a_data_extension_key_is_escaped_in_the_path(harness: Harness) -> None:
    mapping = MappingSpec(
        "row",
        "upsert_data_extension_row",
        'type = "identify"',
        {**IDENTIFY_ROW.mapping, "key": "A B/C"},
    )
    h = harness([mapping])
    h.send([identify()])
    assert h.requests[-1].url.raw_path == b"/hub/v1/dataevents/key:A%20B%2FC/rowset"


def test_a_data_extension_may_be_named_by_its_id(harness: Harness) -> None:
    mapping = {**IDENTIFY_ROW.mapping, "id": "1a2b-3c"}
    del mapping["key"]
    h = harness([MappingSpec("row", "upsert_data_extension_row", 'type = "identify"', mapping)])
    h.send([identify()])
    assert h.requests[-1].url.path == "/hub/v1/dataevents/1a2b-3c/rowset"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"key": None},
            "Message Rejected: a Data Extension Key or Data Extension ID is required",
        ),
        (
            {"keys": {"ContactKey": {"@path": "$.traits.nothing"}}},
            "Message Rejected: the row has no primary key value (the mapped fields are empty)",
        ),
    ],
)
def test_a_row_without_an_extension_or_a_key_value_is_rejected(
    harness: Harness, sfmc: FakeSFMC, change: dict[str, Any], reason: str
) -> None:
    mapping = {k: v for k, v in {**IDENTIFY_ROW.mapping, **change}.items() if v is not None}
    spec = MappingSpec("row", "upsert_data_extension_row", 'type = "identify"', mapping)
    (sent,) = harness([spec]).send([identify()])
    assert (sent.outcome.code, sent.outcome.reason) == ("payload_invalid", reason)
    assert sfmc.requests == []


# -- the presets -------------------------------------------------------------------------------


def test_the_presets_start_disabled_and_say_what_a_new_destination_did(
    harness: Harness,
) -> None:
    presets = DESTINATION.preset_mappings()
    assert [(p.action, p.trigger, p.enabled) for p in presets] == [
        ("upsert_data_extension_row", 'type = "identify"', False),
        ("send_event_to_journey", 'type = "identify"', False),
        ("send_event_to_journey", 'type = "track"', False),
    ]
    # Disabled, a new destination sends nothing until its keys are filled in.
    assert harness(presets).send([identify(), track()]) == []


def test_each_preset_s_payload_once_its_key_is_filled_in(harness: Harness, sfmc: FakeSFMC) -> None:
    row, identify_journey, track_journey = DESTINATION.preset_mappings()
    keys = {"key": DATA_EXTENSION}, {"event_definition_key": EVENT_DEFINITION}
    filled = [
        MappingSpec(row.name, row.action, row.trigger, {**row.mapping, **keys[0]}),
        MappingSpec(
            identify_journey.name,
            identify_journey.action,
            identify_journey.trigger,
            {**identify_journey.mapping, **keys[1]},
        ),
        MappingSpec(
            track_journey.name,
            track_journey.action,
            track_journey.trigger,
            {**track_journey.mapping, **keys[1]},
        ),
    ]
    h = harness(filled)
    event = identify(email="ada@example.com", company={"industry": "Tech"})
    assert h.payloads(event) == [
        {
            "key": DATA_EXTENSION,
            "keys": {"ContactKey": "u-1"},
            "values": {"email": "ada@example.com", "company": {"industry": "Tech"}},
        },
        {
            "contact_key": "u-1",
            "event_definition_key": EVENT_DEFINITION,
            "data": {"email": "ada@example.com", "company": {"industry": "Tech"}},
        },
    ]
    assert h.payloads(track(2)) == [
        {
            "contact_key": "u-1",
            "event_definition_key": EVENT_DEFINITION,
            "data": {"plan": "pro", "seats": 2, "address": {"city": "Paris"}},
        }
    ]
    sent = h.send([event, track(2)])
    assert kinds(results(sent)) == [AttemptOutcome.DELIVERED] * 3
    assert [json.loads(r.body) for r in sfmc.api_requests] == [
        [{"keys": {"ContactKey": "u-1"}, "values": {"email": "ada@example.com"}}],
        {
            "ContactKey": "u-1",
            "EventDefinitionKey": EVENT_DEFINITION,
            "Data": {"email": "ada@example.com"},
        },
        {
            "ContactKey": "u-1",
            "EventDefinitionKey": EVENT_DEFINITION,
            "Data": {"plan": "pro", "seats": 2},
        },
    ]
