"""Marketo settings: what the form accepts and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from switchboard.integrations.marketo import MarketoAdapter, MarketoSettings
from switchboard.integrations.registry import describe

REQUIRED = {"base_url": "https://123-ABC-456.mktorest.com", "client_id": "c", "client_secret": "s"}


def error_of(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        MarketoSettings.model_validate({**REQUIRED, **values})
    return str(caught.value)


def test_defaults() -> None:
    value = MarketoSettings.model_validate(REQUIRED)
    assert (value.lookup_field, value.trait_mapping, value.activities) == ("email", {}, {})
    assert value.timeout_seconds == 30.0


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
    assert "activity_type_id" in error_of(
        activities={"Signed Up": {"activity_type_id": 0, "primary_property": "plan"}}
    )
    assert "primary_property" in error_of(activities={"Signed Up": {"activity_type_id": 1}})
    assert "extra" in error_of(unknown=1)


def test_the_secret_is_masked_and_the_form_is_described() -> None:
    value = MarketoSettings.model_validate(REQUIRED)
    assert "s" not in repr(value.client_secret).replace("SecretStr", "")
    described = describe(MarketoAdapter)
    assert described["type"] == "marketo"
    assert described["supported_calls"] == ["identify", "track"]
    schema = described["settings_schema"]
    assert schema["properties"]["client_secret"]["format"] == "password"
    assert set(schema["required"]) == {"base_url", "client_id", "client_secret"}
