"""Settings stored before the kit: converted to settings and a "send" mapping that deliver
exactly what the adapter before the kit delivered.

`legacy_requests.json` was recorded from that adapter, sending its `events` with each of its
`configs` to a loopback sink: the requests that arrived (method, path, the headers that matter,
the body as text) and each event's outcome code. The converted destination must send the
same bytes, so the same signatures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.webhook import DESTINATION, WebhookSettings
from tests.fakes.sink import Sink
from tests.integrations.webhook.conftest import Webhooks

FIXTURE = json.loads((Path(__file__).parent / "legacy_requests.json").read_text())
EVERY_CALL = DESTINATION.actions[0].default_trigger


def convert(stored: dict[str, Any]) -> tuple[dict[str, Any], list[MappingSpec]]:
    assert DESTINATION.convert_legacy is not None
    converted = DESTINATION.convert_legacy(stored)
    assert converted is not None
    return converted


def test_a_stored_dump_becomes_settings_and_one_send_mapping() -> None:
    stored = {
        "urls": ["https://example.com/hook"],
        "method": "PUT",
        "headers": {"Authorization": "Bearer t"},
        "shared_secret": "shh",
        "timeout_seconds": 2.5,
        "batch_size": 25,
    }
    settings, mappings = convert(stored)
    assert settings == {
        "urls": ["https://example.com/hook"],
        "headers": {"Authorization": "Bearer t"},
        "shared_secret": "shh",
        "timeout_seconds": 2.5,
    }
    WebhookSettings.model_validate(settings)
    assert mappings == [
        MappingSpec(
            "Send every event",
            "send",
            EVERY_CALL,
            {"method": "PUT", "data": {"@path": "$."}, "batch_size": 25},
        )
    ]
    assert stored["method"] == "PUT"  # the stored dict is left as it was


def test_the_conversion_of_todays_defaults_is_the_preset() -> None:
    _, mappings = convert({"urls": ["https://example.com/hook"], "method": "POST", "batch_size": 1})
    assert mappings == DESTINATION.preset_mappings()


def test_one_moved_key_is_enough_the_other_takes_its_old_default() -> None:
    _, mappings = convert({"urls": ["https://example.com/hook"], "batch_size": "10"})
    assert mappings[0].mapping == {"method": "POST", "data": {"@path": "$."}, "batch_size": 10}


@pytest.mark.parametrize("stored", [{}, {"urls": ["https://example.com/hook"], "headers": {}}])
def test_nothing_to_convert_without_method_or_batch_size(stored: dict[str, Any]) -> None:
    assert DESTINATION.convert_legacy is not None
    assert DESTINATION.convert_legacy(stored) is None


@pytest.mark.parametrize(
    ("moved", "message"),
    [
        ({"method": "GET"}, "'POST', 'PUT' or 'PATCH'"),
        ({"method": "post"}, "'POST', 'PUT' or 'PATCH'"),
        ({"method": ""}, "'POST', 'PUT' or 'PATCH'"),
        ({"batch_size": 0}, "greater than or equal to 1"),
        ({"batch_size": 1001}, "less than or equal to 1000"),
        ({"batch_size": "lots"}, "valid integer"),
    ],
)
def test_values_the_old_settings_refused_are_refused(moved: dict[str, Any], message: str) -> None:
    assert DESTINATION.convert_legacy is not None
    with pytest.raises(ValidationError) as caught:
        DESTINATION.convert_legacy({"urls": ["https://example.com/hook"], **moved})
    (error,) = caught.value.errors()
    assert error["loc"] == (next(iter(moved)),)
    assert message in str(caught.value)


@pytest.mark.parametrize("name", sorted(FIXTURE["configs"]))
def test_converted_settings_send_byte_identical_requests(hooks: Webhooks, name: str) -> None:
    recorded = FIXTURE["configs"][name]
    with Sink() as sink:
        stored = json.loads(json.dumps(recorded["stored"]).replace("{sink}", sink.url))
        settings, mappings = convert(stored)
        sent = hooks.harness(settings, mappings=mappings).send(FIXTURE["events"])
        received = [
            {
                "method": r.method,
                "path": r.path,
                "headers": {h: r.header(h) for h in recorded["requests"][0]["headers"]},
                "body": r.body.decode(),
            }
            for r in sink.requests
        ]
    assert received == recorded["requests"]
    assert [s.event_index for s in sent] == list(range(len(FIXTURE["events"])))
    assert [s.outcome.code or s.outcome.kind.value for s in sent] == recorded["codes"]
