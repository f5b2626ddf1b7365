"""Send track event: a Pendo track event, posted to the Track Events API (`/data/track`).

The account comes from `context.groupId`, else `properties.groupId`, as Pendo's own
integrations read it; the page context Pendo shows (ip, user agent, url, title) from
`context` and `context.page`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action
from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.pendo.endpoints import TRACK_PATH
from switchboard.integrations.pendo.payload import epoch_ms, present
from switchboard.integrations.pendo.send import post
from switchboard.integrations.pendo.settings import PendoSettings

#: The page context Pendo shows: its key in the request ← the field giving it, in order.
CONTEXT_FIELDS: Final = (
    ("ip", "ip"),
    ("userAgent", "user_agent"),
    ("url", "url"),
    ("title", "title"),
)


def _first_filled(path: str, otherwise: str) -> dict[str, Any]:
    """A mapping directive: the value at `path` unless it is blank, else the one at
    `otherwise` (Python's `or`: a missing, null or empty value falls through)."""
    return {
        "@if": {"blank": {"@path": path}, "then": {"@path": path}, "else": {"@path": otherwise}}
    }


class SendTrackEvent(Action[PendoSettings]):
    id = "send_track_event"
    title = "Send track event"
    description = "Record a track event on a Pendo visitor (and account)."
    default_trigger = 'type = "track"'
    fields: ClassVar[dict[str, Field]] = {
        # Not `required`: missing ones keep their own outcome codes (`missing_event`, ...).
        "event_name": Field(
            "Event name", "string", description="Required.", default={"@path": "$.event"}
        ),
        "visitor_id": Field(
            "Visitor ID",
            "string",
            description="Required. Pendo has no anonymous server-side visitors.",
            default={"@path": "$.userId"},
        ),
        "account_id": Field(
            "Account ID",
            "string",
            description="The account the event happened in.",
            default=_first_filled("$.context.groupId", "$.properties.groupId"),
        ),
        "timestamp": Field(
            "Timestamp",
            "string",
            description="Required. When the event happened (ISO 8601); sent in milliseconds.",
            default=_first_filled("$.timestamp", "$.receivedAt"),
        ),
        "properties": Field(
            "Properties",
            "object",
            description="The event's properties.",
            default={"@path": "$.properties"},
        ),
        "ip": Field("IP address", "string", default={"@path": "$.context.ip"}),
        "user_agent": Field("User agent", "string", default={"@path": "$.context.userAgent"}),
        "url": Field("Page URL", "string", default={"@path": "$.context.page.url"}),
        "title": Field("Page title", "string", default={"@path": "$.context.page.title"}),
    }

    def perform(self, ctx: ActionContext, settings: PendoSettings, payload: dict[str, Any]) -> None:
        name = present(payload.get("event_name"))
        if name is None:
            raise PayloadInvalid(
                "Pendo needs an event name, and this track call has none",
                field="event_name",
                code="missing_event",
            )
        visitor = present(payload.get("visitor_id"))
        if visitor is None:
            raise PayloadInvalid(
                "Pendo needs a Visitor ID, and this track call has no userId",
                field="visitor_id",
                code="missing_user_id",
            )
        body: dict[str, Any] = {
            "type": "track",
            "event": name,
            "visitorId": visitor,
            "timestamp": epoch_ms(payload.get("timestamp")),
            "properties": payload.get("properties") or {},
            "context": {key: payload[field] for key, field in CONTEXT_FIELDS if payload.get(field)},
        }
        account = present(payload.get("account_id"))
        if account is not None:
            body["accountId"] = account
        post(ctx, settings, "track", TRACK_PATH, body, "track_event_secret")
