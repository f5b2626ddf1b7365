"""Create or update lead: Sync Leads (`createOrUpdate` by the lookup field), up to 300 leads
per call; and the lead ids it learns, kept per (instance, lookup field, value) in `ctx.cache`
so that activities of a known lead skip the lookup.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, TypeVar

from switchboard.integrations.base import Exchange, Outcome, OutcomeKind
from switchboard.integrations.kit.context import ActionContext
from switchboard.integrations.kit.definition import Action, ItemResult
from switchboard.integrations.kit.errors import PayloadInvalid, UnexpectedResponse
from switchboard.integrations.kit.fields import Field
from switchboard.integrations.marketo.api import post, record_bodies, record_outcomes
from switchboard.integrations.marketo.endpoints import BATCH_SIZE, LEAD_ID_TTL, LEADS_PATH
from switchboard.integrations.marketo.settings import MarketoSettings
from switchboard.integrations.marketo.values import Scalar, key_text, scalar

T = TypeVar("T")

#: Segment's standard traits and the Marketo lead fields they fill (REST API names): the
#: lead fields a new mapping starts with.
STANDARD_TRAITS: Final[dict[str, str]] = {
    "email": "email",
    "firstName": "firstName",
    "lastName": "lastName",
    "phone": "phone",
    "company": "company",
    "title": "title",
    "website": "website",
    "birthday": "dateOfBirth",
    "address.street": "address",
    "address.city": "city",
    "address.state": "state",
    "address.postalCode": "postalCode",
    "address.country": "country",
}

DEFAULT_LEAD_FIELDS: Final[dict[str, Any]] = {
    name: {"@path": f"$.traits.{trait}"} for trait, name in STANDARD_TRAITS.items()
}

#: Where each standard field goes in a lead record. The kit hands the mapped object over
#: with its keys sorted, so the record is put back in the order Marketo was always sent:
#: the standard fields in this order, then the others by name.
_FIELD_ORDER: Final = {name: position for position, name in enumerate(STANDARD_TRAITS.values())}


@dataclass(slots=True)
class Lead:
    """What became of one lookup value: its lead id, or why there is none; the exchanges that
    found it (none when the id was cached)."""

    lead_id: int | None
    outcome: Outcome
    exchanges: list[Exchange] = field(default_factory=list)
    cached: bool = False


class CreateOrUpdateLead(Action[MarketoSettings]):
    id = "create_or_update_lead"
    title = "Create or update lead"
    description = (
        "Creates the lead, or updates the one the lookup field finds, with the mapped lead "
        "fields (Sync Leads, createOrUpdate)."
    )
    default_trigger = 'type = "identify"'
    max_batch = BATCH_SIZE
    fields: ClassVar[dict[str, Field]] = {
        "lookup_field": Field(
            "Lookup field",
            "string",
            "The Marketo lead field that finds an existing lead (its dedupe key). The lead "
            "fields must hold a value for it.",
            required=True,
            default="email",
        ),
        "lead_fields": Field(
            "Lead fields",
            "object",
            "Marketo lead field API name → value. Objects, lists, nulls and blank strings are "
            "not sent.",
            default=DEFAULT_LEAD_FIELDS,
        ),
    }

    def perform_batch(
        self, ctx: ActionContext, settings: MarketoSettings, payloads: list[dict[str, Any]]
    ) -> list[ItemResult]:
        results: dict[int, ItemResult] = {}
        by_field: dict[str, list[tuple[int, dict[str, Scalar]]]] = {}
        for index, payload in enumerate(payloads):
            lookup_field: str = payload["lookup_field"]
            record = lead_record(payload.get("lead_fields") or {})
            if lookup_field not in record:
                rejected = PayloadInvalid(
                    f"Marketo finds leads by {lookup_field}, and this event has no lead field "
                    "value for it",
                    field=f"lead_fields.{lookup_field}",
                    code="missing_lookup_field",
                )
                results[index] = ItemResult(rejected.outcome, [])
                continue
            by_field.setdefault(lookup_field, []).append((index, record))
        # Sync Leads takes one lookup field per call.
        for lookup_field, items in by_field.items():
            for chunk in chunks(items):
                leads = upsert(ctx, settings, lookup_field, [record for _, record in chunk])
                for (index, _), lead in zip(chunk, leads, strict=True):
                    results[index] = ItemResult(lead.outcome, lead.exchanges)
        return [results[index] for index in range(len(payloads))]


def lead_record(fields: Mapping[str, Any]) -> dict[str, Scalar]:
    """The lead fields Marketo can hold, in the order they are sent."""
    kept = {name: value for name, raw in fields.items() if (value := scalar(raw)) is not None}
    last = len(_FIELD_ORDER)
    return dict(sorted(kept.items(), key=lambda item: (_FIELD_ORDER.get(item[0], last), item[0])))


def upsert(
    ctx: ActionContext,
    settings: MarketoSettings,
    lookup_field: str,
    records: list[dict[str, Scalar]],
) -> list[Lead]:
    """createOrUpdate `records` (at most `BATCH_SIZE`) by `lookup_field`; what became of
    each, in order. The ids learnt are cached."""
    body = {"action": "createOrUpdate", "lookupField": lookup_field, "input": records}
    call = post(ctx, settings, LEADS_PATH, body)
    count = len(records)
    leads = []
    for record, outcome, answer in zip(
        records, record_outcomes(call, count), record_bodies(call, count), strict=True
    ):
        lead_id = answer.get("id") if outcome.kind is OutcomeKind.DELIVERED else None
        if lead_id is not None and not (isinstance(lead_id, int) and not isinstance(lead_id, bool)):
            outcome = UnexpectedResponse(
                "Marketo answered with a lead id that is not a number", code="invalid_response"
            ).outcome
            lead_id = None
        if lead_id is not None:
            remember(ctx, settings, lookup_field, record[lookup_field], lead_id)
        leads.append(Lead(lead_id, outcome, call.exchanges))
    return leads


def _cache_key(settings: MarketoSettings, lookup_field: str, value: Scalar) -> tuple[str, ...]:
    return ("marketo:lead_id", settings.base_url, lookup_field, key_text(value))


def cached_id(
    ctx: ActionContext, settings: MarketoSettings, lookup_field: str, value: Scalar
) -> int | None:
    """The lead id last learnt for `value` of `lookup_field` on this instance, while fresh."""
    found = ctx.cache.get(_cache_key(settings, lookup_field, value))
    return found if isinstance(found, int) else None


def remember(
    ctx: ActionContext, settings: MarketoSettings, lookup_field: str, value: Scalar, lead_id: int
) -> None:
    ctx.cache.put(_cache_key(settings, lookup_field, value), lead_id, LEAD_ID_TTL)


def forget_id(
    ctx: ActionContext, settings: MarketoSettings, lookup_field: str, value: Scalar
) -> None:
    """Drop a cached id Marketo no longer knows (the lead was merged or deleted)."""
    ctx.cache.drop(_cache_key(settings, lookup_field, value))


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in runs of at most `BATCH_SIZE`, Marketo's records per call."""
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]
