"""track → a Pendo track event, posted to the Track Events API (`/data/track`).

The account comes from `context.groupId`, else `properties.groupId`, as Pendo's own
integrations read it; the page context Pendo shows (ip, user agent, url, title) from
`context` and `context.page`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.integrations.pendo.endpoints import TRACK_PATH
from switchboard.integrations.pendo.mapping import (
    PendoRequest,
    Unmappable,
    as_object,
    epoch_ms,
    identifier,
    visitor_id,
)


def build(event: Mapping[str, Any]) -> PendoRequest:
    """The track event for one track call."""
    name = event.get("event")
    if not isinstance(name, str) or not name.strip():
        raise Unmappable("Pendo needs an event name, and this track call has none", "missing_event")
    context = as_object(event.get("context"))
    properties = as_object(event.get("properties"))
    body: dict[str, Any] = {
        "type": "track",
        "event": name,
        "visitorId": visitor_id(event, "track"),
        "timestamp": epoch_ms(event),
        "properties": properties,
        "context": _pendo_context(context),
    }
    account = identifier(context.get("groupId")) or identifier(properties.get("groupId"))
    if account is not None:
        body["accountId"] = account
    return PendoRequest(TRACK_PATH, body, "track_event_secret")


def _pendo_context(context: Mapping[str, Any]) -> dict[str, Any]:
    page = as_object(context.get("page"))
    candidates = {
        "ip": context.get("ip"),
        "userAgent": context.get("userAgent"),
        "url": page.get("url"),
        "title": page.get("title"),
    }
    return {key: value for key, value in candidates.items() if isinstance(value, str) and value}
