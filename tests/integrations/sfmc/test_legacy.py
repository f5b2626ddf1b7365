"""Settings stored before the kit become settings now and mappings that send, byte for byte,
the bodies the old adapter sent (`legacy_bodies.json`, recorded from it against the fake)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from switchboard.integrations.kit.oauth import TokenCache
from switchboard.integrations.kit.testing import KitHarness
from switchboard.integrations.sfmc import DESTINATION, SFMCSettings
from switchboard.integrations.sfmc.legacy import convert_legacy
from tests.fakes.sfmc import CLIENT_ID, CLIENT_SECRET, FakeSFMC

RECORDED: dict[str, Any] = json.loads((Path(__file__).parent / "legacy_bodies.json").read_text())
DEFINITIONS = frozenset(
    {"APIEvent-identify-1", "APIEvent-signup-2", "APIEvent-order-3", "APIEvent-plan-4"}
)
EXTENSIONS = frozenset({"Segment Identify/DE", "Segment_Identify_DE"})


@pytest.mark.parametrize("case", sorted(RECORDED["cases"]))
def test_the_converted_mappings_send_the_old_adapter_s_bytes(case: str) -> None:
    recorded = RECORDED["cases"][case]
    stored = recorded["stored"]
    with FakeSFMC(
        event_definitions=DEFINITIONS,
        data_extensions=EXTENSIONS,
        account_id=stored["account_id"],
    ) as sfmc:
        converted = convert_legacy({**stored, "auth_base_url": sfmc.url})
        assert converted is not None
        settings, mappings = converted
        SFMCSettings.model_validate(settings)  # the settings now take what is left
        harness = KitHarness(DESTINATION, settings, mappings=mappings)
        harness.adapter.tokens = TokenCache()
        for event, then in zip(RECORDED["events"], recorded["sent"], strict=True):
            before = len(sfmc.api_requests)
            sent = harness.send([json.loads(json.dumps(event))])
            now = [
                {"method": r.method, "path": r.path, "body": r.body.decode()}
                for r in sfmc.api_requests[before:]
            ]
            assert now == then["requests"], event["messageId"]
            if then["outcome"] == "delivered":
                assert {s.outcome.kind.value for s in sent} == {"delivered"}
            else:  # an event the old settings had no home for: no mapping takes it now
                assert sent == []
        harness.close()
        assert sfmc.token_calls == 1


def test_a_populated_old_form_becomes_one_mapping_per_thing_it_did() -> None:
    stored = RECORDED["cases"]["row_and_journey_mapped_traits"]["stored"]
    converted = convert_legacy(stored)
    assert converted is not None
    settings, mappings = converted
    assert settings == {
        "auth_base_url": stored["auth_base_url"],
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "account_id": stored["account_id"],
        "timeout_seconds": 10.0,
        "max_requests_per_second": 20,
        "max_concurrent_requests": 10,
    }
    assert [(m.action, m.trigger) for m in mappings] == [
        ("upsert_data_extension_row", 'type = "identify"'),
        ("send_event_to_journey", 'type = "identify"'),
        ("send_event_to_journey", 'type = "track" and event = "Signed Up"'),
        ("send_event_to_journey", 'type = "track" and event = "Order Completed"'),
        ("send_event_to_journey", 'type = "track" and event = "Plan: Pro/Annual \\ 2"'),
    ]
    row = mappings[0].mapping
    assert (row["key"], row["keys"]) == (
        "Segment Identify/DE",
        {"Contact Key": {"@path": "$.userId"}},
    )
    assert mappings[1].mapping["data"] == row["values"]
    assert mappings[2].mapping == {
        "contact_key": {"@path": "$.userId"},
        "event_definition_key": "APIEvent-signup-2",
        "data": {"@path": "$.properties"},
    }


def test_fields_named_in_alphabetical_order_stay_a_plain_object() -> None:
    converted = convert_legacy(
        {
            "identify_event_definition_key": "E-1",
            "trait_mapping": {"email": "Email", "company.industry": "Industry"},
        }
    )
    assert converted is not None
    (journey,) = converted[1]
    assert journey.mapping["data"] == {
        "Email": {"@path": "$.traits.email"},
        "Industry": {"@path": "$.traits.company.industry"},
    }


def test_an_empty_trait_mapping_sends_every_trait_a_column_can_hold() -> None:
    converted = convert_legacy({"identify_data_extension_key": "DE", "trait_mapping": {}})
    assert converted is not None
    (row,) = converted[1]
    assert row.mapping["values"] == {"@path": "$.traits"}
    assert row.mapping["keys"] == {"ContactKey": {"@path": "$.userId"}}


def test_an_event_name_the_trigger_syntax_cannot_quote_is_left_out() -> None:
    converted = convert_legacy({"track_events": {'Say "hi"': "E-1", "Fine": "E-2"}})
    assert converted is not None
    assert [m.trigger for m in converted[1]] == ['type = "track" and event = "Fine"']


def test_a_long_event_name_gives_a_mapping_name_the_store_keeps() -> None:
    converted = convert_legacy({"track_events": {"x" * 200: "E-1"}})
    assert converted is not None
    (mapping,) = converted[1]
    assert len(mapping.name) == 200 and mapping.name.endswith("…")


def test_settings_of_the_new_form_need_no_conversion() -> None:
    assert convert_legacy({"auth_base_url": "https://a", "client_id": "c"}) is None


def test_the_destination_declares_its_conversion() -> None:
    assert DESTINATION.convert_legacy is convert_legacy
