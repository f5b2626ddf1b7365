"""Settings stored before the kit deliver exactly the requests they delivered then.

`legacy_requests.json` holds what the adapter of that release sent to the fake for
`legacy_cases.EVENTS` (recorded while it still existed, and checked against it then).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchboard.integrations.kit.testing import KitHarness
from switchboard.integrations.pendo import DESTINATION, PendoSettings
from switchboard.integrations.pendo.legacy import convert_legacy as convert
from tests.fakes.pendo import INTEGRATION_KEY, TRACK_SECRET, FakePendo
from tests.integrations.pendo.legacy_cases import EVENTS, FIXTURE, STORED_SETTINGS


def recorded(pendo: FakePendo) -> list[dict[str, Any]]:
    """What reached the fake: path, credential header, content type and the exact body."""
    return [
        {
            "method": received.method,
            "path": received.path,
            "key": received.header("x-pendo-integration-key"),
            "content_type": received.header("content-type"),
            "body": received.body.decode(),
        }
        for received in pendo.requests
    ]


@pytest.mark.parametrize("case", sorted(STORED_SETTINGS))
def test_converted_settings_send_byte_identical_requests(case: str) -> None:
    expected = json.loads(FIXTURE.read_text())[case]
    converted = convert(STORED_SETTINGS[case])
    assert converted is not None
    settings, mappings = converted
    with FakePendo() as pendo:
        harness = KitHarness(
            DESTINATION, {**settings, "api_base_url": pendo.url}, mappings=mappings
        )
        try:
            sent = harness.send(EVENTS)
        finally:
            harness.close()
        assert recorded(pendo) == expected
    # The page call matches no mapping: routing records it as unsupported.
    assert {s.event_index for s in sent} == set(range(len(EVENTS) - 1))


def test_the_metadata_group_moves_into_the_identify_and_group_mappings() -> None:
    converted = convert(STORED_SETTINGS["populated"])
    assert converted is not None
    settings, mappings = converted
    assert settings == {
        "integration_key": INTEGRATION_KEY,
        "track_event_secret": TRACK_SECRET,
        "region": "eu",
        "api_base_url": None,
        "timeout_seconds": 5.0,
        "max_requests_per_second": 50,
        "max_concurrent_requests": 4,
    }
    PendoSettings.model_validate(settings)  # the settings model takes them as they are
    assert [(m.name, m.action, m.trigger, m.enabled) for m in mappings] == [
        ("Identify visitor", "identify_visitor", 'type = "identify"', True),
        ("Group account", "group_account", 'type = "group"', True),
        ("Send track event", "send_track_event", 'type = "track"', True),
    ]
    presets = DESTINATION.preset_mappings()
    for converted_mapping, preset in zip(mappings, presets, strict=True):
        if "metadata_group" in preset.mapping:
            assert converted_mapping.mapping == {**preset.mapping, "metadata_group": "custom"}
        else:
            assert converted_mapping.mapping == preset.mapping


def test_the_default_metadata_group_gives_the_presets() -> None:
    converted = convert(STORED_SETTINGS["defaults"])
    assert converted is not None
    assert converted[1] == DESTINATION.preset_mappings()


def test_the_destination_converts_with_it() -> None:
    assert DESTINATION.convert_legacy is convert


def test_settings_without_the_older_form_need_no_conversion() -> None:
    assert convert({"integration_key": "k-1", "region": "eu"}) is None


def test_a_metadata_group_that_release_refused_is_refused() -> None:
    with pytest.raises(ValueError, match="'agent' or 'custom'"):
        convert({"integration_key": "k-1", "metadata_group": "salesforce"})
