"""Marketing Cloud settings: what the form accepts and what it refuses, with a message."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from switchboard.integrations.registry import describe, load_adapters
from switchboard.integrations.sfmc import SFMCAdapter, SFMCSettings

BASE: dict[str, Any] = {
    "auth_base_url": "https://mc123.auth.marketingcloudapis.com",
    "client_id": "id",
    "client_secret": "secret-1",
    "identify_event_definition_key": "APIEvent-1",
}


def error_of(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        SFMCSettings.model_validate({**BASE, **values})
    return str(caught.value)


def test_defaults() -> None:
    value = SFMCSettings.model_validate(BASE)
    assert (value.account_id, value.identify_data_extension_key) == (None, None)
    assert (value.data_extension_key_field, value.trait_mapping, value.track_events) == (
        "ContactKey",
        {},
        {},
    )
    assert value.timeout_seconds == 10.0


def test_the_auth_base_url_is_trimmed() -> None:
    value = SFMCSettings.model_validate({**BASE, "auth_base_url": " http://127.0.0.1:9/ "})
    assert value.auth_base_url == "http://127.0.0.1:9"


def test_the_secret_is_masked_when_dumped() -> None:
    value = SFMCSettings.model_validate(BASE)
    assert value.model_dump(mode="json")["client_secret"] == "**********"
    assert "secret-1" not in repr(value)


def test_something_must_be_configured() -> None:
    message = error_of(identify_event_definition_key=None)
    assert "set an identify event definition key" in message


def test_a_track_mapping_alone_is_enough() -> None:
    value = SFMCSettings.model_validate(
        {**BASE, "identify_event_definition_key": None, "track_events": {"Signed Up": "E-1"}}
    )
    assert value.track_events == {"Signed Up": "E-1"}


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"auth_base_url": "ftp://mc.example"}, "must be an http(s) URL"),
        ({"auth_base_url": "https://mc.example/?x=1"}, "without spaces, query or fragment"),
        ({"account_id": "MID-12"}, "should match pattern"),
        ({"client_secret": ""}, "at least 1"),
        ({"client_id": " "}, "at least 1 character"),
        ({"track_events": {"": "E-1"}}, "at least 1 character"),
        ({"timeout_seconds": 0}, "greater than or equal to 0.1"),
        ({"subdomain": "mc123"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_settings_are_refused(values: dict[str, Any], fragment: str) -> None:
    assert fragment in error_of(**values)


def test_the_adapter_is_a_builtin() -> None:
    adapters = load_adapters(plugins=[])
    assert isinstance(adapters["sfmc"], SFMCAdapter)
    described = describe(SFMCAdapter)
    assert described["display_name"] == "Salesforce Marketing Cloud"
    assert described["supported_calls"] == ["identify", "track"]
    schema = described["settings_schema"]
    assert schema["properties"]["client_secret"]["format"] == "password"
    assert set(schema["required"]) == {"auth_base_url", "client_id", "client_secret"}
