"""Pendo settings: what the form accepts and what it refuses, with a message."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.pendo import DESTINATION, PendoSettings
from switchboard.integrations.registry import describe, load_adapters


def error_of(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        PendoSettings.model_validate(values)
    return str(caught.value)


def test_defaults() -> None:
    value = PendoSettings.model_validate({"integration_key": "k"})
    assert (value.region, value.api_base_url) == ("us", None)
    assert (value.track_event_secret, value.timeout_seconds) == (None, 10.0)
    assert value.base_url == "https://app.pendo.io"


def test_a_base_url_override_wins_over_the_region() -> None:
    value = PendoSettings.model_validate(
        {"track_event_secret": "s", "region": "eu", "api_base_url": " http://127.0.0.1:8080/ "}
    )
    assert value.base_url == "http://127.0.0.1:8080"


def test_secrets_are_masked_when_dumped() -> None:
    value = PendoSettings.model_validate({"integration_key": "k-1", "track_event_secret": "s-1"})
    dumped = value.model_dump(mode="json")
    assert (dumped["integration_key"], dumped["track_event_secret"]) == ("**********",) * 2
    assert "k-1" not in repr(value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "give the integration key (identify, group), the Track Event Shared Secret"),
        ({"integration_key": ""}, "at least 1"),
        ({"integration_key": "k", "region": "jp"}, "'us' or 'eu'"),
        # Where metadata goes is a field of the mappings now (`legacy.py` moves it there).
        ({"integration_key": "k", "metadata_group": "agent"}, "Extra inputs are not permitted"),
        ({"integration_key": "k", "api_base_url": "ftp://x"}, "must be an http(s) URL"),
        ({"integration_key": "k", "api_base_url": "https://x/?a=1"}, "without spaces, query"),
        ({"integration_key": "k", "timeout_seconds": 0}, "greater than or equal to 0.1"),
        ({"integration_key": "k", "apiKey": "x"}, "Extra inputs are not permitted"),
    ],
)
def test_refused(values: dict[str, Any], message: str) -> None:
    assert message in error_of(**values)


def test_the_eu_region_uses_the_eu_host() -> None:
    settings = PendoSettings.model_validate({"integration_key": "k", "region": "eu"})
    assert settings.base_url == "https://app.eu.pendo.io"


def test_registered_under_its_type_and_name_with_secrets_shown_as_passwords() -> None:
    adapter = load_adapters(plugins=[])["pendo"]
    assert isinstance(adapter, KitAdapter) and adapter.destination is DESTINATION
    described = describe(adapter)
    assert (described["type"], described["display_name"]) == ("pendo", "Pendo")
    assert [a["id"] for a in described["actions"]] == [
        "identify_visitor",
        "group_account",
        "send_track_event",
    ]
    assert [p["action"] for p in described["presets"]] == [a["id"] for a in described["actions"]]
    properties = described["settings_schema"]["properties"]
    assert "metadata_group" not in properties
    for name in ("integration_key", "track_event_secret"):
        assert {"format": "password"}.items() <= properties[name]["anyOf"][0].items()
