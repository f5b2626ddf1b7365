"""Send custom activity: Add Custom Activities, up to 300 per call, each on its lead's id.

As Segment's Marketo actions do, the lead is found first by the lookup field: a Sync Leads
`createOrUpdate` with the lookup field alone answers with the lead's id whether it found or
created the lead. Ids are cached per (instance, lookup field, value) (`leads.cached_id`), so
repeated activities of one lead, and activities of leads upserted earlier in the send, skip
the lookup. An activity Marketo refuses because a cached id names no lead (1004: merged or
deleted) forgets the id, looks the lead up again and is sent once more.

There is no activity in a new destination's presets: which event is which activity type is
for the user to say, with a mapping of this action whose trigger names the event
(`type = "track" and event = "Order Completed"`) and whose fields give the activity type id,
the primary attribute value and the attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from switchboard.integrations.base import Exchange, Outcome
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action, ItemResult
from switchboard.integrations.kit.errors import PayloadInvalid
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.marketo.api import post, record_outcomes
from switchboard.integrations.marketo.endpoints import ACTIVITIES_PATH, BATCH_SIZE
from switchboard.integrations.marketo.leads import (
    Lead,
    cached_id,
    chunks,
    forget_id,
    upsert,
)
from switchboard.integrations.marketo.settings import MarketoSettings
from switchboard.integrations.marketo.values import Scalar, attribute_value, scalar
from switchboard.spec.timestamps import TimestampError, parse_timestamp

#: The record code of an activity whose lead id Marketo does not know.
UNKNOWN_LEAD: Final = "marketo_1004"


@dataclass(slots=True)
class _Activity:
    """One activity waiting for its lead's id, and the exchanges it has taken so far."""

    index: int
    lookup_field: str
    lookup_value: Scalar
    record: dict[str, Any]  # everything but leadId
    exchanges: list[Exchange] = field(default_factory=list)


class SendCustomActivity(Action[MarketoSettings]):
    id = "send_custom_activity"
    title = "Send custom activity"
    description = (
        "Adds a custom activity to the lead the lookup field finds (created if there is "
        "none). The activity type must exist in Marketo (Admin > Marketo Custom Activities)."
    )
    default_trigger = 'type = "track"'
    max_batch = BATCH_SIZE
    fields: ClassVar[dict[str, Field]] = {
        "activity_type_id": Field(
            "Activity type id",
            "integer",
            "The id of the custom activity type (Admin > Marketo Custom Activities).",
            required=True,
            minimum=1,
        ),
        "primary_attribute_value": Field(
            "Primary attribute value",
            "string",
            "The value of the activity type's primary attribute.",
            required=True,
        ),
        "attributes": Field(
            "Attributes",
            "object",
            "Attribute API name → value. Objects and lists are sent as JSON text; nulls and "
            "blank strings are not sent.",
        ),
        "lookup_field": Field(
            "Lookup field",
            "string",
            "The Marketo lead field that finds the activity's lead.",
            required=True,
            default="email",
        ),
        "lookup_value": Field(
            "Lookup value",
            "string",
            "The lead's value of the lookup field. An event without one fails.",
            default={"@path": "$.context.traits.email"},
        ),
        "activity_date": Field(
            "Activity date",
            "datetime",
            "When the activity happened.",
            default={"@path": "$.timestamp"},
        ),
    }

    def perform_batch(
        self, ctx: ActionContext, settings: MarketoSettings, payloads: list[dict[str, Any]]
    ) -> list[ItemResult]:
        results: dict[int, ItemResult] = {}
        activities = []
        for index, payload in enumerate(payloads):
            try:
                activities.append(_activity(index, payload))
            except PayloadInvalid as exc:
                results[index] = ItemResult(exc.outcome, [])
        stale = _send(ctx, settings, activities, results, use_cache=True)
        if stale:
            _send(ctx, settings, stale, results, use_cache=False)
        return [results[index] for index in range(len(payloads))]


def _send(
    ctx: ActionContext,
    settings: MarketoSettings,
    activities: list[_Activity],
    results: dict[int, ItemResult],
    *,
    use_cache: bool,
) -> list[_Activity]:
    """Find the leads and add the activities, putting each outcome in `results`; returns
    the activities refused because their cached lead id is gone, to send once more."""
    leads = _leads(ctx, settings, activities, use_cache=use_cache)
    ready: list[tuple[_Activity, Lead]] = []
    for activity in activities:
        lead = leads[(activity.lookup_field, activity.lookup_value)]
        if lead.lead_id is None:
            exchanges = [*activity.exchanges, *lead.exchanges]
            results[activity.index] = ItemResult(lead.outcome, exchanges)
        else:
            ready.append((activity, lead))
    stale = []
    for chunk in chunks(ready):
        body = {"input": [{"leadId": lead.lead_id, **a.record} for a, lead in chunk]}
        call = post(ctx, settings, ACTIVITIES_PATH, body)
        for (activity, lead), outcome in zip(chunk, record_outcomes(call, len(chunk)), strict=True):
            activity.exchanges.extend([*lead.exchanges, *call.exchanges])
            if lead.cached and outcome.code == UNKNOWN_LEAD:
                forget_id(ctx, settings, activity.lookup_field, activity.lookup_value)
                stale.append(activity)
                continue
            results[activity.index] = ItemResult(outcome, activity.exchanges)
    return stale


def _leads(
    ctx: ActionContext,
    settings: MarketoSettings,
    activities: list[_Activity],
    *,
    use_cache: bool,
) -> dict[tuple[str, Scalar], Lead]:
    """The lead of each (lookup field, value): cached, or found or created now, by as few
    Sync Leads calls as the values take (one per lookup field and 300 values)."""
    found: dict[tuple[str, Scalar], Lead] = {}
    missing: dict[str, dict[Scalar, None]] = {}  # lookup field → values, in order, once each
    for activity in activities:
        key = (activity.lookup_field, activity.lookup_value)
        if key in found:
            continue
        lead_id = cached_id(ctx, settings, *key) if use_cache else None
        if lead_id is not None:
            found[key] = Lead(lead_id, Outcome.delivered(), cached=True)
        else:
            missing.setdefault(activity.lookup_field, {})[activity.lookup_value] = None
    for lookup_field, values in missing.items():
        for chunk in chunks(list(values)):
            records: list[dict[str, Scalar]] = [{lookup_field: value} for value in chunk]
            for value, lead in zip(
                chunk, upsert(ctx, settings, lookup_field, records), strict=True
            ):
                found[(lookup_field, value)] = lead
    return found


def _activity(index: int, payload: dict[str, Any]) -> _Activity:
    """One payload as an activity record; raises `PayloadInvalid` when Marketo could not
    take it."""
    lookup_field: str = payload["lookup_field"]
    lookup_value = scalar(payload.get("lookup_value"))
    if lookup_value is None:
        raise PayloadInvalid(
            f"Marketo finds leads by {lookup_field}, and this event has no lookup value for it",
            field="lookup_value",
            code="missing_lookup_field",
        )
    primary: str = payload["primary_attribute_value"]
    if not primary.strip():
        raise PayloadInvalid(
            "The root value is missing the required field 'primary_attribute_value'.",
            field="primary_attribute_value",
        )
    attributes = []
    for api_name, raw in (payload.get("attributes") or {}).items():
        value = attribute_value(raw)
        if value is not None:
            attributes.append({"apiName": api_name, "value": value})
    record = {
        "activityDate": _activity_date(payload.get("activity_date")),
        "activityTypeId": payload["activity_type_id"],
        "primaryAttributeValue": primary,
        "attributes": attributes,
    }
    return _Activity(index, lookup_field, lookup_value, record)


def _activity_date(value: object) -> str:
    """The activity's date in ISO 8601 with its offset, as Marketo has always been sent it."""
    if value is None:
        raise PayloadInvalid(
            "the event has no timestamp", field="activity_date", code="invalid_timestamp"
        )
    try:
        return parse_timestamp(value).isoformat()
    except TimestampError as exc:
        raise PayloadInvalid(
            f"the event's timestamp cannot be read: {exc}",
            field="activity_date",
            code="invalid_timestamp",
        ) from None
