"""Marketo: identify → leads (Sync Leads, createOrUpdate), track → custom activities.

A send is a few batched calls, not one call per event, because Marketo's quota is small (100
calls per 20 s, 50,000 a day):

1. the identify events' leads, up to 300 per call;
2. for the track events, the leads not already upserted in step 1, found or created by the
   lookup field alone (createOrUpdate answers with the lead's id either way);
3. the activities, up to 300 per call, each with its lead's id.

A call Marketo refuses gives every event in it the same outcome; a call it accepts gives each
event its record's outcome. Events Marketo cannot take (no lookup value, an unmapped track
event) fail without a call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from switchboard.integrations.base import (
    Adapter,
    Exchange,
    Message,
    Outcome,
    OutcomeKind,
    Result,
    SendContext,
)
from switchboard.integrations.marketo import identify, track
from switchboard.integrations.marketo.api import Call, Calls
from switchboard.integrations.marketo.auth import TokenCache
from switchboard.integrations.marketo.endpoints import ACTIVITIES_PATH, BATCH_SIZE, LEADS_PATH
from switchboard.integrations.marketo.mapping import Scalar, Unmappable
from switchboard.integrations.marketo.responses import record_outcome
from switchboard.integrations.marketo.settings import MarketoSettings

T = TypeVar("T")


@dataclass(slots=True)
class _Lead:
    """What became of one lookup value: its lead id, or why there is none."""

    lead_id: int | None
    outcome: Outcome
    exchanges: list[Exchange] = field(default_factory=list)


class MarketoAdapter(Adapter):
    type = "marketo"
    display_name = "Marketo V2"
    supported_calls = frozenset({"identify", "track"})
    settings_model = MarketoSettings

    def __init__(self) -> None:
        # Adapters live once per process, so the tokens are shared by all of its sends.
        self.tokens = TokenCache()

    def send(
        self, settings: BaseModel, messages: Sequence[Message], context: SendContext
    ) -> list[Result]:
        if not isinstance(settings, MarketoSettings):
            raise TypeError(f"expected MarketoSettings, got {type(settings).__name__}")
        calls = Calls(settings, context, self.tokens)
        results: dict[int, Result] = {}
        leads: list[tuple[int, Scalar, dict[str, Scalar]]] = []
        activities: list[tuple[int, track.Activity]] = []
        for index, message in enumerate(messages):
            call = message.event.get("type")
            try:
                if call == "identify":
                    leads.append((index, *identify.build(message.event, settings)))
                elif call == "track":
                    activities.append((index, track.build(message.event, settings)))
                else:
                    raise Unmappable(f"Marketo does not support {call} calls", "unsupported_call")
            except Unmappable as exc:
                results[index] = Result(
                    message.delivery_id, Outcome.permanent(exc.reason, exc.code)
                )

        known: dict[Scalar, _Lead] = {}
        for chunk in _chunks(leads):
            done = _upsert(calls, settings, [record for _, _, record in chunk])
            for (index, lookup, _), lead in zip(chunk, done, strict=True):
                results[index] = Result(messages[index].delivery_id, lead.outcome, lead.exchanges)
                if lead.lead_id is not None:
                    known.setdefault(lookup, lead)

        missing = list(dict.fromkeys(a.lookup for _, a in activities if a.lookup not in known))
        for values in _chunks(missing):
            records = [{settings.lookup_field: value} for value in values]
            for value, lead in zip(values, _upsert(calls, settings, records), strict=True):
                known[value] = lead

        ready: list[tuple[int, track.Activity, _Lead]] = []
        for index, activity in activities:
            lead = known[activity.lookup]
            if lead.lead_id is None:
                results[index] = Result(messages[index].delivery_id, lead.outcome, lead.exchanges)
            else:
                ready.append((index, activity, lead))
        for batch in _chunks(ready):
            body = {"input": [{"leadId": lead.lead_id, **a.record} for _, a, lead in batch]}
            posted = calls.post(ACTIVITIES_PATH, body)
            for (index, _, lead), outcome in zip(batch, _outcomes(posted, len(batch)), strict=True):
                exchanges = [*lead.exchanges, *posted.exchanges]
                results[index] = Result(messages[index].delivery_id, outcome, exchanges)
        return [results[index] for index in range(len(messages))]


def _upsert(
    calls: Calls, settings: MarketoSettings, records: list[dict[str, Scalar]]
) -> list[_Lead]:
    """createOrUpdate `records` (at most `BATCH_SIZE`); what became of each, in order."""
    body = {"action": "createOrUpdate", "lookupField": settings.lookup_field, "input": records}
    posted = calls.post(LEADS_PATH, body)
    leads = []
    for outcome, record in zip(
        _outcomes(posted, len(records)), _records(posted, len(records)), strict=True
    ):
        lead_id = record.get("id") if outcome.kind is OutcomeKind.DELIVERED else None
        if lead_id is not None and not (isinstance(lead_id, int) and not isinstance(lead_id, bool)):
            outcome = Outcome.temporary(
                "Marketo answered with a lead id that is not a number", "invalid_response"
            )
            lead_id = None
        leads.append(_Lead(lead_id, outcome, posted.exchanges))
    return leads


def _outcomes(posted: Call, count: int) -> list[Outcome]:
    """One outcome per record sent: the call's, unless Marketo accepted it; then each record's."""
    answer = posted.answer
    if answer.outcome.kind is not OutcomeKind.DELIVERED:
        return [answer.outcome] * count
    if len(answer.records) != count:
        reason = f"Marketo answered {len(answer.records)} results for {count} records"
        return [Outcome.temporary(reason, "invalid_response")] * count
    return [record_outcome(record) for record in answer.records]


def _records(posted: Call, count: int) -> list[dict[str, Any]]:
    records = posted.answer.records
    if len(records) != count:
        return [{}] * count
    return [record if isinstance(record, dict) else {} for record in records]


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]
