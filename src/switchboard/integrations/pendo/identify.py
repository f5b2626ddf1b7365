"""identify → a Pendo visitor: userId is the Visitor ID and the traits are its metadata.

A `groupId` trait ties the visitor to that account: it is written as the visitor's `accountId`
field rather than as a field of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.integrations.pendo.endpoints import MetadataGroup, metadata_path
from switchboard.integrations.pendo.mapping import (
    PendoRequest,
    as_object,
    identifier,
    metadata_values,
    visitor_id,
)

#: Traits that name the visitor's account instead of describing the visitor.
ACCOUNT_TRAITS = frozenset({"groupId"})


def build(event: Mapping[str, Any], group: MetadataGroup) -> PendoRequest:
    """The visitor metadata update for one identify call."""
    visitor = visitor_id(event, "identify")
    traits = as_object(event.get("traits"))
    values = metadata_values(traits, drop=ACCOUNT_TRAITS)
    account = identifier(traits.get("groupId"))
    if account is not None:
        values["accountId"] = account
    body = [{"visitorId": visitor, "values": values}]
    return PendoRequest(metadata_path("visitor", group), body, "integration_key")
