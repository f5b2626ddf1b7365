"""Group account: a Pendo account's metadata, written through the bulk metadata API.

The Account ID is the event's groupId; the group's traits are the account's metadata.
"""

from __future__ import annotations

from typing import Any, ClassVar

from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action
from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.pendo.endpoints import metadata_path
from switchboard.integrations.pendo.payload import METADATA_GROUP, metadata_values, present
from switchboard.integrations.pendo.send import post
from switchboard.integrations.pendo.settings import PendoSettings


class GroupAccount(Action[PendoSettings]):
    id = "group_account"
    title = "Group account"
    description = "Create or update a Pendo account and its metadata."
    default_trigger = 'type = "group"'
    fields: ClassVar[dict[str, Field]] = {
        # Not `required`: a missing id keeps its own outcome code (`missing_group_id`).
        "account_id": Field(
            "Account ID",
            "string",
            description="Required.",
            default={"@path": "$.groupId"},
        ),
        "metadata": Field(
            "Account metadata",
            "object",
            description=(
                "The account's fields. Nested objects are flattened with _ (plan.tier → plan_tier)."
            ),
            default={"@path": "$.traits"},
        ),
        "metadata_group": METADATA_GROUP,
    }

    def perform(self, ctx: ActionContext, settings: PendoSettings, payload: dict[str, Any]) -> None:
        account = present(payload.get("account_id"))
        if account is None:
            raise PayloadInvalid(
                "Pendo needs an Account ID, and this group call has no groupId",
                field="account_id",
                code="missing_group_id",
            )
        values = metadata_values(payload.get("metadata") or {})
        body = [{"accountId": account, "values": values}]
        path = metadata_path("account", payload["metadata_group"])
        post(ctx, settings, "group", path, body, "integration_key")
