"""identify → a data-extension row upsert, a journey entry, or both (in that order).

The row is keyed by the userId in the data extension's primary-key column; the journey entry
has the userId as Contact Key. Both carry the mapped traits. The upsert goes first because it
is safe to repeat: when the journey entry then asks for a retry, only an upsert is redone,
never a journey entry that already succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.integrations.sfmc.endpoints import EVENTS_PATH, rowset_path
from switchboard.integrations.sfmc.mapping import (
    SFMCRequest,
    Unmappable,
    as_object,
    contact_key,
    field_values,
)
from switchboard.integrations.sfmc.settings import SFMCSettings


def build(event: Mapping[str, Any], settings: SFMCSettings) -> list[SFMCRequest]:
    """The requests for one identify call."""
    if not (settings.identify_data_extension_key or settings.identify_event_definition_key):
        raise Unmappable(
            "identify calls need an identify event definition key or data extension key setting",
            "not_configured",
        )
    key = contact_key(event, "identify")
    values = field_values(as_object(event.get("traits")), settings.trait_mapping)
    requests: list[SFMCRequest] = []
    if settings.identify_data_extension_key:
        row = {"keys": {settings.data_extension_key_field: key}, "values": values}
        requests.append(SFMCRequest(rowset_path(settings.identify_data_extension_key), [row]))
    if settings.identify_event_definition_key:
        entry = {
            "ContactKey": key,
            "EventDefinitionKey": settings.identify_event_definition_key,
            "Data": values,
        }
        requests.append(SFMCRequest(EVENTS_PATH, entry))
    return requests
