"""Upsert data extension row: one row written into a data extension, keyed by its primary key.

    POST /hub/v1/dataevents/key:{external key}/rowset     (or /hub/v1/dataevents/{id}/rowset)
    [{"keys": {"ContactKey": "u-42"}, "values": {"Email": "…", "Industry": "Tech"}}]

One request per event: the rowset endpoint takes many rows, but a partial failure cannot be
traced back to the rows that caused it. An upsert is safe to repeat.
"""

from __future__ import annotations

from typing import Any, ClassVar

from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action
from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.sfmc.endpoints import rowset_path, rowset_path_by_id
from switchboard.integrations.sfmc.rest import call
from switchboard.integrations.sfmc.settings import SFMCSettings
from switchboard.integrations.sfmc.values import columns


class UpsertDataExtensionRow(Action[SFMCSettings]):
    id = "upsert_data_extension_row"
    title = "Upsert data extension row"
    description = "Insert or update a row of an existing data extension, found by its primary key."
    default_trigger = 'type = "identify"'
    fields: ClassVar[dict[str, Field]] = {
        "key": Field(
            "Data Extension Key",
            "string",
            description="The data extension's External Key. Needed unless its ID is given.",
        ),
        "id": Field(
            "Data Extension ID",
            "string",
            description="The data extension's ID; used when no External Key is given.",
        ),
        "keys": Field(
            "Primary key",
            "object",
            required=True,
            default={"ContactKey": {"@path": "$.userId"}},
            description=(
                "Primary-key column → value. A row whose primary key matches is updated, "
                "otherwise one is added."
            ),
        ),
        "values": Field(
            "Fields",
            "object",
            default={"@path": "$.traits"},
            description=(
                "Column → value, for the row's other columns; the columns must exist. Objects, "
                "lists and nulls are left out."
            ),
        ),
    }

    def perform(self, ctx: ActionContext, settings: SFMCSettings, payload: dict[str, Any]) -> None:
        key, extension_id = payload.get("key"), payload.get("id")
        if key:
            path = rowset_path(key)
        elif extension_id:
            path = rowset_path_by_id(extension_id)
        else:
            raise PayloadInvalid(
                "a Data Extension Key or Data Extension ID is required", field="key"
            )
        keys = columns(payload["keys"])
        if not keys:
            raise PayloadInvalid(
                "the row has no primary key value (the mapped fields are empty)", field="keys"
            )
        row = {"keys": keys, "values": columns(payload.get("values"))}
        call(ctx, settings, "POST", path, [row])
