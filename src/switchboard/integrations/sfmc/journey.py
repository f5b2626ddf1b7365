"""Send event to journey: a contact enters a journey through its API Event entry source.

    POST /interaction/v1/events
    {"ContactKey": "u-42", "EventDefinitionKey": "APIEvent-3f1c…", "Data": {"Email": "…"}}

One request per event: a journey entry has no bulk form that reports per contact. `Data` is
always sent, holding what of `data` a column can take (`values.columns`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.sfmc.endpoints import EVENTS_PATH
from switchboard.integrations.sfmc.rest import call
from switchboard.integrations.sfmc.settings import SFMCSettings
from switchboard.integrations.sfmc.values import columns

CONTACT_KEY = Field(
    "Contact Key",
    "string",
    required=True,
    default={"@path": "$.userId"},
    description="The unique identifier of the subscriber or contact.",
)


class SendEventToJourney(Action[SFMCSettings]):
    id = "send_event_to_journey"
    title = "Send event to journey"
    description = (
        "Enter a contact into a journey through its API Event entry source, with the event's data."
    )
    default_trigger = 'type = "track"'
    fields: ClassVar[dict[str, Field]] = {
        "contact_key": CONTACT_KEY,
        "event_definition_key": Field(
            "Event Definition Key",
            "string",
            required=True,
            description=(
                "The Event Definition Key of the journey's API Event entry source; the event "
                "definition must exist in Marketing Cloud."
            ),
        ),
        "data": Field(
            "Event data",
            "object",
            default={"@path": "$.properties"},
            description=(
                "The entry's data: event definition field → value. The fields must exist in "
                "the event definition's schema. Objects, lists and nulls are left out."
            ),
        ),
    }

    def perform(self, ctx: ActionContext, settings: SFMCSettings, payload: dict[str, Any]) -> None:
        entry = {
            "ContactKey": payload["contact_key"],
            "EventDefinitionKey": payload["event_definition_key"],
            "Data": columns(payload.get("data")),
        }
        call(ctx, settings, "POST", EVENTS_PATH, entry)
