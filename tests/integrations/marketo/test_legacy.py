"""Settings stored by the release before the kit, converted: they deliver the same requests.

`legacy_bodies.json` holds what the adapter of that release sent to the fake Marketo for the
sends of `legacy_cases.py` (recorded before it was deleted); the converted settings and
mappings must send the same requests, byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.testing import KitHarness
from switchboard.integrations.marketo import DESTINATION
from switchboard.integrations.marketo.legacy import convert_legacy
from tests.fakes.marketo import CLIENT_ID, CLIENT_SECRET, FakeMarketo
from tests.integrations.marketo.conftest import Keep
from tests.integrations.marketo.legacy_cases import (
    ACTIVITY_TYPES,
    LEAD_FIELDS,
    LEGACY_SETTINGS,
    SENDS,
)

RECORDED: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "legacy_bodies.json").read_text()
)


def converted(stored: dict[str, Any]) -> tuple[dict[str, Any], list[MappingSpec]]:
    result = convert_legacy(stored)
    assert result is not None
    return result


def test_converted_settings_send_byte_identical_requests(keep: Keep) -> None:
    with FakeMarketo(lead_fields=LEAD_FIELDS, activity_types=ACTIVITY_TYPES) as marketo:
        settings, mappings = converted({**LEGACY_SETTINGS, "base_url": marketo.url})
        harness = keep(KitHarness(DESTINATION, settings, mappings=mappings))
        for events, recorded in zip(SENDS, RECORDED, strict=True):
            seen = len(marketo.requests)
            sent = harness.send(events)
            assert [s.event_index for s in sent] == list(range(len(events)))
            assert [s.outcome.code or s.outcome.kind.value for s in sent] == recorded["outcomes"]
            requests = [
                {"method": r.method, "path": r.path, "body": r.body.decode()}
                for r in marketo.requests[seen:]
            ]
            assert requests == recorded["requests"]


def test_the_conversion_moves_the_mapping_keys_into_mappings() -> None:
    settings, mappings = converted({**LEGACY_SETTINGS, "base_url": "https://1-A-2.mktorest.com"})

    assert settings == {
        "base_url": "https://1-A-2.mktorest.com",
        "client_id": LEGACY_SETTINGS["client_id"],
        "client_secret": LEGACY_SETTINGS["client_secret"],
        "timeout_seconds": 30.0,
        "calls_per_window": 100,
        "window_seconds": 20.0,
        "max_concurrent_calls": 10,
    }
    DESTINATION.settings_model.model_validate(settings)
    assert [(m.action, m.trigger) for m in mappings] == [
        ("create_or_update_lead", 'type = "identify"'),
        ("send_custom_activity", 'type = "track" and event = "Order Completed"'),
        ("send_custom_activity", 'type = "track" and event = "Viewed Pricing"'),
    ]
    lead_fields = mappings[0].mapping["lead_fields"]
    assert lead_fields["accountTier"] == {"@path": "$.traits.plan"}
    # Two traits fill email: the one mapped later wins when the event has it.
    assert lead_fields["email"] == {
        "@if": {
            "exists": {"@path": "$.traits.workEmail"},
            "then": {"@path": "$.traits.workEmail"},
            "else": {"@path": "$.traits.email"},
        }
    }
    # userId was read from the traits, else from the event.
    assert lead_fields["userId"]["@if"]["else"] == {"@path": "$.userId"}
    order = mappings[1].mapping
    assert order["primary_attribute_value"] == {"@path": "$.properties.orderId"}
    assert order["attributes"]["itemCount"] == {"@path": "$.properties.cart.items"}
    assert order["lookup_value"]["@if"]["then"] == {"@path": "$.context.traits.workEmail"}


def test_default_older_settings_convert_to_the_presets() -> None:
    stored = {"base_url": "https://1-A-2.mktorest.com", "client_id": "c", "client_secret": "s"}
    assert convert_legacy(stored) is None  # nothing of the older form: the presets apply

    _, mappings = converted({**stored, "lookup_field": "email", "trait_mapping": {}})
    assert mappings == DESTINATION.preset_mappings()


def test_odd_property_names_are_read_as_they_were(keep: Keep) -> None:
    stored = {
        "activities": {
            "Signed Up": {
                "activity_type_id": 7,
                "primary_property": "plan name",
                "attributes": {"a[0]": "first"},
            }
        }
    }
    _, (_, activity) = converted(stored)

    assert activity.mapping["primary_attribute_value"] == {"@path": ["properties", "plan name"]}
    assert activity.mapping["attributes"] == {"first": {"@path": ["properties", "a[0]"]}}
    with FakeMarketo(activity_types={7: frozenset({"first"})}) as marketo:
        harness = keep(
            KitHarness(
                DESTINATION,
                {
                    "base_url": marketo.url,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                },
                mappings=[activity],
            )
        )
        event = {
            "type": "track",
            "event": "Signed Up",
            "properties": {"plan name": "Pro", "a[0]": 1},
            "context": {"traits": {"email": "ada@example.com"}},
            "timestamp": "2024-05-01T12:00:00Z",
        }
        (sent,) = harness.send([event])
        assert sent.outcome.kind.value == "delivered"
        [record] = marketo.activities
        assert (record["primaryAttributeValue"], record["attributes"]) == (
            "Pro",
            [{"apiName": "first", "value": 1}],
        )


def test_a_lookup_field_no_trait_fills_fails_the_activities_as_before(keep: Keep) -> None:
    stored = {
        "lookup_field": "leadKey",
        "activities": {"Signed Up": {"activity_type_id": 7, "primary_property": "plan"}},
    }
    _, (_, activity) = converted(stored)

    assert "lookup_value" not in activity.mapping
    harness = keep(
        KitHarness(
            DESTINATION,
            {"base_url": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s"},
            mappings=[activity],
        )
    )
    event = {
        "type": "track",
        "event": "Signed Up",
        "properties": {"plan": "pro"},
        "timestamp": "2024-05-01T12:00:00Z",
    }
    (sent,) = harness.send([event])
    assert sent.outcome.code == "missing_lookup_field"
    assert harness.requests == []


@pytest.mark.parametrize(
    ("stored", "says"),
    [
        (
            {"activities": {"Signed Up": {"activity_type_id": 0, "primary_property": "plan"}}},
            "activity_type_id",
        ),
        ({"activities": {"Signed Up": {"activity_type_id": 1}}}, "primary_property"),
        ({"trait_mapping": {"plan": ""}}, "trait_mapping"),
        (
            {"activities": {'Said "hi"': {"activity_type_id": 1, "primary_property": "x"}}},
            "double quote",
        ),
    ],
)
def test_older_settings_that_release_refused_are_refused(stored: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        convert_legacy(stored)
