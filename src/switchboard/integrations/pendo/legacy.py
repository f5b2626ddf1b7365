"""Settings stored by the release before the kit → settings now and the mappings that deliver
exactly what that release delivered.

That release held one mapping setting, `metadata_group` (where identify and group write
metadata); it is now a field of those two mappings. Everything else carries over as it is.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import TypeAdapter

from switchboard.integrations.kit.definition import MappingSpec
from switchboard.integrations.kit.fields import default_mapping
from switchboard.integrations.pendo.endpoints import MetadataGroup
from switchboard.integrations.pendo.presets import ACTIONS, PRESETS

#: The settings of that release that are now part of the mappings.
LEGACY_KEYS: Final = frozenset({"metadata_group"})

_METADATA_GROUP: Final = TypeAdapter(MetadataGroup)


def convert_legacy(stored: dict[str, Any]) -> tuple[dict[str, Any], list[MappingSpec]] | None:
    """(settings now, mappings) for `stored`; None when it holds no `metadata_group` (the
    presets, which write to `agent`, then deliver what it did). Raises pydantic's
    `ValidationError` for a metadata group that release would have refused too."""
    if "metadata_group" not in stored:
        return None
    group = _METADATA_GROUP.validate_python(stored["metadata_group"])
    settings = {key: value for key, value in stored.items() if key not in LEGACY_KEYS}
    actions = {action.id: action for action in ACTIONS}
    mappings = []
    for preset in PRESETS:
        mapping = default_mapping(actions[preset.action].fields)
        if "metadata_group" in mapping:
            mapping["metadata_group"] = group
        mappings.append(MappingSpec(preset.name, preset.action, preset.trigger, mapping))
    return settings, mappings
