"""GA4 settings: what the form accepts and refuses, and how it shows them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from switchboard.integrations.ga4 import Ga4Settings
from switchboard.integrations.registry import describe, load_adapters


def test_defaults_and_the_secret_masked() -> None:
    value = Ga4Settings.model_validate({"measurement_id": "G-ABC123", "api_secret": "s-1"})
    assert (value.base_url, value.timeout_seconds) == ("https://www.google-analytics.com", 10.0)
    assert value.model_dump(mode="json")["api_secret"] == "**********"
    assert "s-1" not in repr(value)
    assert value.query() == {"measurement_id": "G-ABC123", "api_secret": "s-1"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"api_secret": "s"}, "measurement_id\n  Field required"),
        ({"measurement_id": "UA-1234-1", "api_secret": "s"}, "should match pattern"),
        ({"measurement_id": "G-ABC", "api_secret": ""}, "at least 1 item"),
        ({"measurement_id": "G-ABC", "api_secret": "s", "base_url": "ftp://x"}, "http(s) URL"),
        ({"measurement_id": "G-ABC", "api_secret": "s", "apiSecret": "s"}, "Extra inputs"),
    ],
)
def test_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Ga4Settings.model_validate(values)
    assert message in str(caught.value)


def test_the_form_has_a_label_and_help_for_every_setting_and_the_actions() -> None:
    described = describe(load_adapters([])["ga4"])
    schema = described["settings_schema"]
    for name, field in schema["properties"].items():
        assert field.get("title") and field.get("description"), name
    assert schema["properties"]["api_secret"]["writeOnly"] is True
    assert [a["id"] for a in described["actions"]] == [
        "custom_event",
        "page_view",
        "purchase",
        "add_to_cart",
    ]
    orjson.dumps(described)  # the admin API serves it as JSON
