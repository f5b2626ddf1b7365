"""The registry: built-ins listed literally, plugins from entry points, broken ones skipped."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint

import pytest
from pydantic import BaseModel

from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.kit.definition import Destination
from switchboard.integrations.registry import (
    BUILTIN_ADAPTERS,
    BUILTIN_DESTINATIONS,
    ENTRY_POINT_GROUP,
    describe,
    load_adapters,
)
from switchboard.integrations.webhook import DESTINATION as WEBHOOK
from switchboard.spec.calls import CALL_TYPES
from tests.integrations.plugin_samples import SampleAdapter

#: The built-ins' types in their listed order (adapters, then kit destinations); plugins come
#: after them.
BUILTIN_TYPES = [cls.type for cls in BUILTIN_ADAPTERS] + [d.type for d in BUILTIN_DESTINATIONS]


def plugin(name: str, target: str) -> EntryPoint:
    return EntryPoint(name=name, value=f"tests.integrations.{target}", group=ENTRY_POINT_GROUP)


@pytest.mark.parametrize("destination", BUILTIN_DESTINATIONS, ids=lambda d: d.type)
def test_every_builtin_destination_has_labelled_settings(
    destination: Destination[BaseModel],
) -> None:
    schema = destination.settings_model.model_json_schema()
    for name, field in schema["properties"].items():
        assert field.get("title"), f"{destination.type}.{name} has no title"
        assert field.get("description"), f"{destination.type}.{name} has no description"


def test_builtin_types_are_unique() -> None:
    types = BUILTIN_TYPES
    assert len(types) == len(set(types))
    names = [cls.display_name for cls in BUILTIN_ADAPTERS] + [
        d.display_name for d in BUILTIN_DESTINATIONS
    ]
    assert len(names) == len(set(names))


def test_builtins_without_plugins() -> None:
    adapters = load_adapters([])
    assert list(adapters) == BUILTIN_TYPES
    assert {"webhook", "pendo"} <= set(BUILTIN_TYPES)
    assert isinstance(adapters["webhook"], KitAdapter)
    assert adapters["webhook"].destination is WEBHOOK


def test_a_plugin_is_added_by_its_type() -> None:
    adapters = load_adapters([plugin("sample", "plugin_samples:SampleAdapter")])
    assert list(adapters) == [*BUILTIN_TYPES, "sample"]
    assert isinstance(adapters["sample"], SampleAdapter)


@pytest.mark.parametrize(
    ("target", "logged"),
    [
        ("broken_plugin:Adapter", "failed to import"),
        ("no_such_module:Adapter", "failed to import"),
        ("plugin_samples:Missing", "failed to import"),
        ("plugin_samples:NotAnAdapter", "nor a subclass of switchboard Adapter"),
        ("plugin_samples.SampleSettings", "failed to import"),
        ("plugin_samples:SampleSettings", "nor a subclass of switchboard Adapter"),
        ("plugin_samples:NoSettings", "`settings_model` must be a pydantic model class"),
        ("plugin_samples:NoSettings", "abstract methods not implemented: send"),
        ("plugin_samples:UnknownCalls", "unknown calls: purchase"),
        ("plugin_samples:FailsToStart", "could not be created"),
        ("plugin_samples:FakeWebhook", "type 'webhook' is taken by a built-in adapter"),
    ],
)
def test_a_broken_plugin_is_logged_and_skipped(
    caplog: pytest.LogCaptureFixture, target: str, logged: str
) -> None:
    plugins = [plugin("broken", target), plugin("sample", "plugin_samples:SampleAdapter")]
    with caplog.at_level(logging.ERROR, logger="switchboard.integrations.registry"):
        adapters = load_adapters(plugins)
    assert list(adapters) == [*BUILTIN_TYPES, "sample"]
    assert isinstance(adapters["webhook"], KitAdapter)
    assert adapters["webhook"].destination is WEBHOOK
    (record,) = caplog.records
    assert "adapter plugin 'broken'" in record.getMessage()
    assert logged in record.getMessage()


def test_two_plugins_of_one_type_keep_the_first_by_entry_point_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plugins = [
        plugin("zz-second", "plugin_samples:AnotherSample"),
        plugin("aa-first", "plugin_samples:SampleAdapter"),
    ]
    with caplog.at_level(logging.ERROR, logger="switchboard.integrations.registry"):
        adapters = load_adapters(plugins)
    assert adapters["sample"].display_name == "Sample"
    assert "taken by another plugin" in caplog.text


def test_describe_gives_what_the_settings_form_needs() -> None:
    described = describe(KitAdapter(WEBHOOK))
    assert described["type"] == "webhook"
    assert described["display_name"] == "Webhooks"
    assert described["supported_calls"] == sorted(CALL_TYPES)
    assert described["settings_schema"]["title"] == "Webhooks"
    assert "urls" in described["settings_schema"]["properties"]
    assert [a["id"] for a in described["actions"]] == ["send"]
    assert [p["name"] for p in described["presets"]] == ["Send every event"]
