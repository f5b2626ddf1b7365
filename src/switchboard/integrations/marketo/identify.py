"""identify → a lead record for Sync Leads (createOrUpdate): the mapped traits as lead fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.integrations.marketo.mapping import (
    Scalar,
    as_object,
    lead_fields,
    lookup_value,
)
from switchboard.integrations.marketo.settings import MarketoSettings


def build(event: Mapping[str, Any], settings: MarketoSettings) -> tuple[Scalar, dict[str, Scalar]]:
    """The lead's lookup value and the record to upsert for one identify call."""
    fields = lead_fields(event, as_object(event.get("traits")), settings)
    return lookup_value(fields, settings, "identify"), fields
