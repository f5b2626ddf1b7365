"""track → a custom activity, for events mapped to one; the lead comes from `context.traits`.

The activity needs the lead's id, which the adapter finds (or creates) by the lookup field
before posting the activities. The builder returns everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from switchboard.integrations.marketo.mapping import (
    Scalar,
    Unmappable,
    as_object,
    lead_fields,
    lookup_value,
    scalar,
    value_at,
)
from switchboard.integrations.marketo.settings import MarketoSettings
from switchboard.spec.timestamps import TimestampError, parse_timestamp

#: The reason every unmapped track event fails with; Segment's wording, so it reads the same.
NOT_MAPPED = "Message Rejected: no custom activity mapped"


@dataclass(frozen=True, slots=True)
class Activity:
    """One custom activity, waiting for its lead id."""

    lookup: Scalar
    record: dict[str, Any]  # everything but leadId


def build(event: Mapping[str, Any], settings: MarketoSettings) -> Activity:
    """The custom activity for one track call; raises `Unmappable` when it cannot be one."""
    name = event.get("event")
    mapping = settings.activities.get(name) if isinstance(name, str) else None
    if mapping is None:
        raise Unmappable(f"{NOT_MAPPED} to the event {name!r}", "message_rejected")
    context = as_object(event.get("context"))
    fields = lead_fields(event, as_object(context.get("traits")), settings)
    lookup = lookup_value(fields, settings, "track")
    properties = as_object(event.get("properties"))
    primary = _attribute_value(value_at(properties, mapping.primary_property))
    if primary is None:
        raise Unmappable(
            f"the activity's primary attribute comes from the property "
            f"{mapping.primary_property!r}, which this event lacks",
            "missing_primary_attribute",
        )
    attributes = []
    for prop, api_name in mapping.attributes.items():
        value = _attribute_value(value_at(properties, prop))
        if value is not None:
            attributes.append({"apiName": api_name, "value": value})
    record = {
        "activityDate": _activity_date(event),
        "activityTypeId": mapping.activity_type_id,
        "primaryAttributeValue": str(primary),
        "attributes": attributes,
    }
    return Activity(lookup, record)


def _attribute_value(value: object) -> Scalar | None:
    """A property as an attribute value: scalars as they are, objects and lists as JSON text."""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return scalar(value)


def _activity_date(event: Mapping[str, Any]) -> str:
    raw = event.get("timestamp") or event.get("receivedAt")
    if raw is None:
        raise Unmappable("the event has no timestamp", "invalid_timestamp")
    try:
        return parse_timestamp(raw).isoformat()
    except TimestampError as exc:
        raise Unmappable(
            f"the event's timestamp cannot be read: {exc}", "invalid_timestamp"
        ) from None
