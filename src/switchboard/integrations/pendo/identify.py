"""Identify visitor: a Pendo visitor's metadata, written through the bulk metadata API.

The Visitor ID is the event's userId; the traits are the visitor's metadata. A `groupId`
trait ties the visitor to that account: it is written as the visitor's `accountId` field
rather than as a field of its own.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action
from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.pendo.endpoints import metadata_path
from switchboard.integrations.pendo.payload import METADATA_GROUP, metadata_values, present
from switchboard.integrations.pendo.send import post
from switchboard.integrations.pendo.settings import PendoSettings

#: Metadata keys that name the visitor's account (`account_id`) instead of describing it.
ACCOUNT_TRAITS: Final = frozenset({"groupId"})


class IdentifyVisitor(Action[PendoSettings]):
    id = "identify_visitor"
    title = "Identify visitor"
    description = "Create or update a Pendo visitor and its metadata."
    default_trigger = 'type = "identify"'
    fields: ClassVar[dict[str, Field]] = {
        # Not `required`: a missing id keeps its own outcome code (`missing_user_id`).
        "visitor_id": Field(
            "Visitor ID",
            "string",
            description="Required. Pendo has no anonymous server-side visitors.",
            default={"@path": "$.userId"},
        ),
        "account_id": Field(
            "Account ID",
            "string",
            description="The visitor's account, written as its accountId field.",
            default={"@path": "$.traits.groupId"},
        ),
        "metadata": Field(
            "Visitor metadata",
            "object",
            description=(
                "The visitor's fields. Nested objects are flattened with _ (address.city → "
                "address_city); a groupId key is left out (it is the Account ID)."
            ),
            default={"@path": "$.traits"},
        ),
        "metadata_group": METADATA_GROUP,
    }

    def perform(self, ctx: ActionContext, settings: PendoSettings, payload: dict[str, Any]) -> None:
        visitor = present(payload.get("visitor_id"))
        if visitor is None:
            raise PayloadInvalid(
                "Pendo needs a Visitor ID, and this identify call has no userId",
                field="visitor_id",
                code="missing_user_id",
            )
        values = metadata_values(payload.get("metadata") or {}, drop=ACCOUNT_TRAITS)
        account = present(payload.get("account_id"))
        if account is not None:
            values["accountId"] = account
        body = [{"visitorId": visitor, "values": values}]
        path = metadata_path("visitor", payload["metadata_group"])
        post(ctx, settings, "identify", path, body, "integration_key")
