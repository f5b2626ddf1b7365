"""group → a Pendo account: groupId is the Account ID and the group's traits its metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.integrations.pendo.endpoints import MetadataGroup, metadata_path
from switchboard.integrations.pendo.mapping import (
    PendoRequest,
    Unmappable,
    as_object,
    identifier,
    metadata_values,
)


def build(event: Mapping[str, Any], group: MetadataGroup) -> PendoRequest:
    """The account metadata update for one group call."""
    account = identifier(event.get("groupId"))
    if account is None:
        raise Unmappable(
            "Pendo needs an Account ID, and this group call has no groupId", "missing_group_id"
        )
    values = metadata_values(as_object(event.get("traits")), drop=frozenset())
    body = [{"accountId": account, "values": values}]
    return PendoRequest(metadata_path("account", group), body, "integration_key")
