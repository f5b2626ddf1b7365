"""Which destinations exist: the built-ins, listed here, and third-party ones from entry points.

A third-party package adds a destination by declaring, in its pyproject.toml,

    [project.entry-points."switchboard.integrations"]
    echo = "switchboard_echo_plugin:DESTINATION"

where the object named is a kit `Destination` (`integrations/kit/definition.py`), or, as
before the kit, an `Adapter` subclass. A plugin that fails to import or is not usable is
logged and skipped; it never stops Switchboard from starting. A plugin cannot take the type
of a built-in destination.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Final

from pydantic import BaseModel

from switchboard.integrations.base import Adapter
from switchboard.integrations.ga4 import DESTINATION as GA4
from switchboard.integrations.kit.adapter import KitAdapter
from switchboard.integrations.kit.definition import Destination
from switchboard.integrations.marketo import DESTINATION as MARKETO
from switchboard.integrations.pendo import DESTINATION as PENDO
from switchboard.integrations.sfmc import DESTINATION as SFMC
from switchboard.integrations.webhook import DESTINATION as WEBHOOK
from switchboard.spec.calls import CALL_TYPES

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP: Final = "switchboard.integrations"

#: Built-in destinations on the kit.
BUILTIN_DESTINATIONS: Final[tuple[Destination[Any], ...]] = (WEBHOOK, PENDO, SFMC, MARKETO, GA4)

#: Built-in adapters written before the kit (none now; plugins may still be `Adapter`s).
BUILTIN_ADAPTERS: Final[tuple[type[Adapter], ...]] = ()


def load_adapters(plugins: Iterable[EntryPoint] | None = None) -> dict[str, Adapter]:
    """Every usable adapter by type: the built-ins, then the plugins in entry-point name order.

    `plugins` defaults to the installed `switchboard.integrations` entry points.
    """
    adapters: dict[str, Adapter] = {cls.type: cls() for cls in BUILTIN_ADAPTERS}
    adapters.update({d.type: KitAdapter(d) for d in BUILTIN_DESTINATIONS})
    if plugins is None:
        plugins = entry_points(group=ENTRY_POINT_GROUP)
    for entry_point in sorted(plugins, key=lambda ep: (ep.name, ep.value)):
        adapter = _load_plugin(entry_point)
        if adapter is None:
            continue
        if adapter.type in adapters:
            owner = "a built-in adapter" if adapter.type in _builtin_types() else "another plugin"
            logger.error(
                "adapter plugin %r (%s) skipped: type %r is taken by %s",
                entry_point.name,
                entry_point.value,
                adapter.type,
                owner,
            )
            continue
        adapters[adapter.type] = adapter
    return adapters


def describe(adapter: Adapter | type[Adapter]) -> dict[str, Any]:
    """What the admin API and the settings form need to know about an adapter type; for a
    kit destination also its actions and presets."""
    described: dict[str, Any] = {
        "type": adapter.type,
        "display_name": adapter.display_name,
        "supported_calls": sorted(adapter.supported_calls),
        "settings_schema": adapter.settings_model.model_json_schema(),
    }
    if isinstance(adapter, KitAdapter):
        destination = adapter.destination
        described["actions"] = [action.describe() for action in destination.actions]
        described["presets"] = [
            {"name": p.name, "action": p.action, "trigger": p.trigger, "mapping": p.mapping}
            for p in destination.preset_mappings()
        ]
    return described


def problems(cls: type[Adapter]) -> list[str]:
    """What keeps an adapter class from being usable; empty when it is fine."""
    found: list[str] = []
    adapter_type = getattr(cls, "type", None)
    if not isinstance(adapter_type, str) or not adapter_type:
        found.append("`type` must be a non-empty string")
    display_name = getattr(cls, "display_name", None)
    if not isinstance(display_name, str) or not display_name:
        found.append("`display_name` must be a non-empty string")
    calls = getattr(cls, "supported_calls", None)
    if not isinstance(calls, frozenset) or not calls:
        found.append("`supported_calls` must be a non-empty frozenset")
    elif unknown := sorted(str(call) for call in calls - set(CALL_TYPES)):
        found.append(f"`supported_calls` holds unknown calls: {', '.join(unknown)}")
    model = getattr(cls, "settings_model", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        found.append("`settings_model` must be a pydantic model class")
    if getattr(cls, "__abstractmethods__", None):
        found.append(f"abstract methods not implemented: {', '.join(cls.__abstractmethods__)}")
    return found


def _builtin_types() -> set[str]:
    return {cls.type for cls in BUILTIN_ADAPTERS} | {d.type for d in BUILTIN_DESTINATIONS}


def _load_plugin(entry_point: EntryPoint) -> Adapter | None:
    label = f"adapter plugin {entry_point.name!r} ({entry_point.value})"
    try:
        loaded = entry_point.load()
    except Exception:
        logger.exception("%s skipped: it failed to import", label)
        return None
    if isinstance(loaded, Destination):
        if not (isinstance(loaded.type, str) and loaded.type):
            logger.error("%s skipped: its `type` must be a non-empty string", label)
            return None
        return KitAdapter(loaded)
    if not (isinstance(loaded, type) and issubclass(loaded, Adapter)):
        logger.error(
            "%s skipped: it is neither a kit Destination nor a subclass of switchboard Adapter",
            label,
        )
        return None
    if found := problems(loaded):
        logger.error("%s skipped: %s", label, "; ".join(found))
        return None
    try:
        return loaded()
    except Exception:
        logger.exception("%s skipped: it could not be created", label)
        return None
