"""Marketo settings and what the destination declares: the form, the actions, the preset."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.marketo import DESTINATION, MarketoSettings
from switchboard.integrations.registry import describe, load_adapters

REQUIRED = {"base_url": "https://123-ABC-456.mktorest.com", "client_id": "c", "client_secret": "s"}


def error_of(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        MarketoSettings.model_validate({**REQUIRED, **values})
    return str(caught.value)


def test_defaults() -> None:
    value = MarketoSettings.model_validate(REQUIRED)
    assert value.timeout_seconds == 30.0
    assert (value.calls_per_window, value.window_seconds, value.max_concurrent_calls) == (
        100,
        20.0,
        10,
    )


@pytest.mark.parametrize(
    "given",
    [
        " https://123-ABC-456.mktorest.com/ ",
        "https://123-ABC-456.mktorest.com/rest",
        "https://123-ABC-456.mktorest.com/rest/",
    ],
)
def test_the_endpoint_is_normalised(given: str) -> None:
    value = MarketoSettings.model_validate({**REQUIRED, "base_url": given})
    assert value.base_url == "https://123-ABC-456.mktorest.com"


def test_bad_values_are_refused_with_a_message() -> None:
    assert "http(s) URL" in error_of(base_url="ftp://x")
    assert "client_secret" in error_of(client_secret="")
    assert "calls_per_window" in error_of(calls_per_window=0)
    # What is sent is the mappings' now; the older keys are convert_legacy's to take.
    assert "extra" in error_of(activities={})
    assert "extra" in error_of(unknown=1)


def test_the_secret_is_masked_and_the_form_is_described() -> None:
    value = MarketoSettings.model_validate(REQUIRED)
    assert "s" not in repr(value.client_secret).replace("SecretStr", "")
    adapter = load_adapters(plugins=[])["marketo"]
    assert isinstance(adapter, KitAdapter)
    described = describe(adapter)
    assert (described["type"], described["display_name"]) == ("marketo", "Marketo V2")
    schema = described["settings_schema"]
    assert schema["properties"]["client_secret"]["format"] == "password"
    assert set(schema["required"]) == {"base_url", "client_id", "client_secret"}
    actions = {a["id"]: a for a in described["actions"]}
    assert set(actions) == {"create_or_update_lead", "send_custom_activity"}
    assert actions["create_or_update_lead"]["max_batch"] == 300
    assert actions["send_custom_activity"]["default_trigger"] == 'type = "track"'
    assert set(actions["send_custom_activity"]["fields"]["required"]) == {
        "activity_type_id",
        "primary_attribute_value",
        "lookup_field",
    }


def test_a_new_destination_maps_identify_calls_to_leads_and_no_track_event() -> None:
    (preset,) = DESTINATION.preset_mappings()

    assert (preset.action, preset.trigger) == ("create_or_update_lead", 'type = "identify"')
    assert preset.mapping["lookup_field"] == "email"
    assert preset.mapping["lead_fields"]["email"] == {"@path": "$.traits.email"}
    assert preset.mapping["lead_fields"]["dateOfBirth"] == {"@path": "$.traits.birthday"}
    assert preset.mapping["lead_fields"]["city"] == {"@path": "$.traits.address.city"}
    assert len(preset.mapping["lead_fields"]) == 13
