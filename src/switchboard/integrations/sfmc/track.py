"""track → a journey entry, for events mapped to an Event Definition Key.

The userId is the Contact Key and the event's top-level properties (texts, numbers, booleans)
are the entry's data. An event with no mapping fails: Marketing Cloud has no home for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.integrations.sfmc.endpoints import EVENTS_PATH
from switchboard.integrations.sfmc.mapping import (
    SFMCRequest,
    Unmappable,
    as_object,
    contact_key,
    field_values,
)
from switchboard.integrations.sfmc.settings import SFMCSettings


def build(event: Mapping[str, Any], settings: SFMCSettings) -> list[SFMCRequest]:
    """The journey entry for one track call."""
    name = event.get("event")
    if not isinstance(name, str) or not name.strip():
        raise Unmappable(
            "Marketing Cloud needs an event name, and this track call has none", "missing_event"
        )
    definition = settings.track_events.get(name)
    if definition is None:
        raise Unmappable(
            f"the track event {name!r} is not mapped to an event definition key "
            "(add it to the track events setting)",
            "unmapped_event",
        )
    entry = {
        "ContactKey": contact_key(event, "track"),
        "EventDefinitionKey": definition,
        "Data": field_values(as_object(event.get("properties")), {}),
    }
    return [SFMCRequest(EVENTS_PATH, entry)]
