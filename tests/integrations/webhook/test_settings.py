"""Webhook settings: what the form accepts and what it refuses, with a message."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from switchboard.destinations.masking import MASK, MaskProblem, mask_settings, unmask_settings
from switchboard.integrations.webhook import WebhookSettings


def settings(**overrides: Any) -> WebhookSettings:
    return WebhookSettings.model_validate({"urls": ["https://example.com/hook"], **overrides})


def error_of(**overrides: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        settings(**overrides)
    return str(caught.value)


def test_defaults() -> None:
    value = settings()
    assert value.urls == ["https://example.com/hook"]
    assert (value.headers, value.shared_secret, value.timeout_seconds) == ({}, None, 5.0)


def test_a_full_configuration() -> None:
    value = settings(
        urls=[" http://10.0.0.1:8080/a?b=c ", "https://user@example.com/x"],
        headers={"Authorization": "Bearer t", "X-Team": "growth"},
        shared_secret="shh",
        timeout_seconds=0.5,
    )
    assert value.urls == ["http://10.0.0.1:8080/a?b=c", "https://user@example.com/x"]
    assert value.shared_secret is not None
    assert value.shared_secret.get_secret_value() == "shh"
    assert "shh" not in repr(value)


def test_at_most_five_urls() -> None:
    urls = [f"https://example.com/{n}" for n in range(6)]
    assert "at most 5 items" in error_of(urls=urls)
    assert len(settings(urls=urls[:5]).urls) == 5


def test_urls_are_optional_since_a_mapping_may_give_its_own() -> None:
    assert settings(urls=[]).urls == []
    assert WebhookSettings.model_validate({}).urls == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "must start with http:// or https://"),
        ("example.com/hook", "must start with http:// or https://"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("https:///path-only", "must include a host name"),
        ("https://exa mple.com/", "must not contain spaces"),
        ("http://[::1/", "not a valid URL"),
    ],
)
def test_bad_urls(url: str, message: str) -> None:
    assert message in error_of(urls=[url])


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X Bad": "v"}, "may only hold ASCII letters"),
        ({"X-Émoji": "v"}, "may only hold ASCII letters"),
        ({"": "v"}, "may only hold ASCII letters"),
        ({"X-Ok": "naïve"}, "must be printable ASCII"),
        ({"X-Ok": "a\r\nX-Injected: 1"}, "must be printable ASCII"),
        ({"Content-Length": "1"}, "set by Switchboard"),
        ({"x-signature": "forged"}, "set by Switchboard"),
        ({"Host": "other"}, "set by Switchboard"),
        ({"X-A": "1", "x-a": "2"}, "given twice"),
        ({f"X-{n}": "v" for n in range(51)}, "at most 50"),
    ],
)
def test_bad_headers(headers: dict[str, str], message: str) -> None:
    assert message in error_of(headers=headers)


@pytest.mark.parametrize(
    ("field", "value"),
    [("timeout_seconds", 0.05), ("timeout_seconds", 31)],
)
def test_out_of_range_numbers(field: str, value: float) -> None:
    assert field in error_of(**{field: value})


def test_unknown_settings_are_refused() -> None:
    assert "Extra inputs are not permitted" in error_of(url="https://example.com")


@pytest.mark.parametrize("moved", [{"method": "PUT"}, {"batch_size": 10}])
def test_method_and_batch_size_are_the_mappings_now(moved: dict[str, Any]) -> None:
    # Settings stored with them are converted first (test_legacy.py).
    assert "Extra inputs are not permitted" in error_of(**moved)


def test_the_form_schema_has_labels_help_and_a_password_field() -> None:
    schema = WebhookSettings.model_json_schema()
    properties = schema["properties"]
    assert set(properties) == {"urls", "headers", "shared_secret", "timeout_seconds"}
    for name in properties:
        assert properties[name]["title"]
        assert properties[name]["description"]
    assert properties["urls"]["maxItems"] == 5
    assert properties["urls"]["items"]["format"] == "uri"
    secret = properties["shared_secret"]["anyOf"][0]
    assert (secret["format"], secret["writeOnly"]) == ("password", True)
    assert "required" not in schema


def test_reads_mask_header_values_and_url_credentials_and_updates_restore_them() -> None:
    schema = WebhookSettings.model_json_schema()
    stored = {
        "urls": ["https://u:pw-1234@a.example/h?api_key=k-5678&page=2", "https://b.example/y"],
        "headers": {"Authorization": "Bearer t-9", "X-Team": "growth", "X-Empty": ""},
        "shared_secret": "s-0",
    }
    shown = mask_settings(schema, stored)
    assert shown["urls"] == [
        f"https://u:{MASK}@a.example/h?api_key={MASK}&page=2",
        "https://b.example/y",
    ]
    assert shown["headers"] == {"Authorization": MASK, "X-Team": MASK, "X-Empty": ""}
    assert shown["shared_secret"] == MASK
    assert unmask_settings(schema, shown, stored) == stored
    # Edited around the hidden parts: a new path and parameter, a header name in another case.
    edited = {
        "urls": [f"https://u:{MASK}@a.example/moved?api_key={MASK}&page=3"],
        "headers": {"authorization": MASK, "X-New": "typed"},
    }
    assert unmask_settings(schema, edited, stored) == {
        "urls": ["https://u:pw-1234@a.example/moved?api_key=k-5678&page=3"],
        "headers": {"authorization": "Bearer t-9", "X-New": "typed"},
    }
    # A MASK standing for nothing stored is refused, each place named.
    with pytest.raises(MaskProblem) as caught:
        unmask_settings(
            schema,
            {"urls": [f"https://u:{MASK}@c.example/h"], "headers": {"X-Other": MASK}},
            stored,
        )
    assert [e["loc"] for e in caught.value.errors] == [["urls", 0], ["headers", "X-Other"]]
