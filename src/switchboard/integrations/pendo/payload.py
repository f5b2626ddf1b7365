"""What the actions share to read their payloads the way Pendo takes them: ids, metadata
values, the metadata group and timestamps.

The kit has already checked each payload against the action's fields (numbers given for a
text field are text by now); what is left is Pendo's own rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, get_args

from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.pendo.endpoints import MetadataGroup
from switchboard.spec.timestamps import TimestampError, parse_timestamp

#: Where metadata is written; a field of the identify and group actions.
METADATA_GROUP: Final = Field(
    "Metadata group",
    "string",
    description=(
        "Where the metadata is written. agent: like metadata from the install script, any field "
        "name. custom: only fields already added on Pendo's Data Mappings page."
    ),
    required=True,
    choices=get_args(MetadataGroup),
    default="agent",
)


def present(value: object) -> str | None:
    """`value` when it is a text with more than blanks in it (an id, a name), else None."""
    if isinstance(value, str) and value.strip():
        return value
    return None


def metadata_values(
    fields: Mapping[str, Any], *, drop: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """`fields` as Pendo metadata values, leaving out the top-level keys in `drop`: nested
    objects flattened with `_` (address.city → address_city), since a Pendo field holds a
    text, number, boolean or date."""
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if name in drop:
            continue
        if isinstance(value, dict):
            for inner, inner_value in metadata_values(value).items():
                values[f"{name}_{inner}"] = inner_value
        else:
            values[name] = value
    return values


def epoch_ms(value: object) -> int:
    """`value`, a timestamp, in epoch milliseconds (the Track Events API's unit).

    Raises `PayloadInvalid` (`invalid_timestamp`) when there is none or it cannot be read."""
    if value is None or value == "":
        raise PayloadInvalid(
            "the event has no timestamp", field="timestamp", code="invalid_timestamp"
        )
    try:
        moment = parse_timestamp(value)
    except TimestampError as exc:
        raise PayloadInvalid(
            f"the event's timestamp cannot be read: {exc}",
            field="timestamp",
            code="invalid_timestamp",
        ) from None
    return int(moment.timestamp() * 1000)
