"""Marketing Cloud settings: what the form accepts and what it refuses, with a message; and
the destination as the registry lists it."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.registry import describe, load_adapters
from switchboard.integrations.sfmc import DESTINATION, SFMCSettings

BASE: dict[str, Any] = {
    "auth_base_url": "https://mc123.auth.marketingcloudapis.com",
    "client_id": "id",
    "client_secret": "secret-1",
}


def error_of(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        SFMCSettings.model_validate({**BASE, **values})
    return str(caught.value)


def test_defaults() -> None:
    value = SFMCSettings.model_validate(BASE)
    assert value.account_id is None
    assert value.timeout_seconds == 10.0
    assert (value.max_requests_per_second, value.max_concurrent_requests) == (20, 10)


def test_the_auth_base_url_is_trimmed() -> None:
    value = SFMCSettings.model_validate({**BASE, "auth_base_url": " http://127.0.0.1:9/ "})
    assert value.auth_base_url == "http://127.0.0.1:9"


def test_the_secret_is_masked_when_dumped() -> None:
    value = SFMCSettings.model_validate(BASE)
    assert value.model_dump(mode="json")["client_secret"] == "**********"
    assert "secret-1" not in repr(value)


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"auth_base_url": "ftp://mc.example"}, "must be an http(s) URL"),
        ({"auth_base_url": "https://mc.example/?x=1"}, "without spaces, query or fragment"),
        ({"account_id": "MID-12"}, "should match pattern"),
        ({"client_secret": ""}, "at least 1"),
        ({"client_id": " "}, "at least 1 character"),
        ({"timeout_seconds": 0}, "greater than or equal to 0.1"),
        ({"max_requests_per_second": 0}, "greater than or equal to 1"),
        ({"max_concurrent_requests": 101}, "less than or equal to 100"),
        ({"subdomain": "mc123"}, "Extra inputs are not permitted"),
        # What is sent where is the mappings' now; `convert_legacy` takes the old keys.
        ({"track_events": {"Signed Up": "E-1"}}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_settings_are_refused(values: dict[str, Any], fragment: str) -> None:
    assert fragment in error_of(**values)


def test_the_destination_is_a_builtin_on_the_kit() -> None:
    adapter = load_adapters(plugins=[])["sfmc"]
    assert isinstance(adapter, KitAdapter)
    assert adapter.destination is DESTINATION
    described = describe(adapter)
    assert described["display_name"] == "Salesforce Marketing Cloud"
    assert [a["id"] for a in described["actions"]] == [
        "send_event_to_journey",
        "upsert_data_extension_row",
    ]
    journey = described["actions"][0]
    assert journey["title"] == "Send event to journey"
    assert journey["fields"]["required"] == ["contact_key", "event_definition_key"]
    assert journey["default_mapping"] == {
        "contact_key": {"@path": "$.userId"},
        "data": {"@path": "$.properties"},
    }
    row = described["actions"][1]
    assert row["title"] == "Upsert data extension row"
    assert set(row["fields"]["properties"]) == {"key", "id", "keys", "values"}
    schema = described["settings_schema"]
    assert schema["properties"]["client_secret"]["format"] == "password"
    assert set(schema["required"]) == {"auth_base_url", "client_id", "client_secret"}
