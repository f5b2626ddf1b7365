"""create_or_update_lead against a fake Marketo: the lead fields, the lookup field, batches of
300 and one outcome per record."""

from __future__ import annotations

from switchboard.deliveries.status import AttemptOutcome
from tests.fakes.marketo import FakeMarketo
from tests.integrations.marketo.conftest import Keep
from tests.integrations.marketo.support import (
    LEAD_PRESET,
    body_of,
    harness_for,
    identify,
    lead_mapping,
)
from tests.integrations.verdicts import judge, kinds


def test_the_preset_upserts_the_lead_with_the_standard_traits(
    keep: Keep, marketo: FakeMarketo
) -> None:
    event = identify(
        firstName="Ada",
        lastName="Lovelace",
        birthday="1815-12-10",
        address={"city": "Paris", "country": "FR"},
        plan="pro",
        nested={"a": 1},
    )
    harness = keep(harness_for(marketo, [LEAD_PRESET]))
    assert harness.payloads(event) == [
        {
            "lookup_field": "email",
            "lead_fields": {
                "city": "Paris",
                "country": "FR",
                "dateOfBirth": "1815-12-10",
                "email": "ada@example.com",
                "firstName": "Ada",
                "lastName": "Lovelace",
            },
        }
    ]
    (sent,) = harness.send([event])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    token_call, leads_call = marketo.requests
    assert token_call.path == "/identity/oauth/token"
    assert leads_call.path == "/rest/v1/leads.json"
    # The standard fields in the order Marketo was always sent them; unmapped traits not at all.
    assert leads_call.body == (
        b'{"action":"createOrUpdate","lookupField":"email","input":[{"email":"ada@example.com",'
        b'"firstName":"Ada","lastName":"Lovelace","dateOfBirth":"1815-12-10","city":"Paris",'
        b'"country":"FR"}]}'
    )
    assert (leads_call.header("authorization") or "").startswith("Bearer tok-")
    assert leads_call.header("content-type") == "application/json"
    assert marketo.leads_by("email")["ada@example.com"]["firstName"] == "Ada"
    assert len(sent.result.exchanges) == 2


def test_mapped_fields_beyond_the_standard_ones_are_sent_and_unsendable_values_are_not(
    keep: Keep, marketo: FakeMarketo
) -> None:
    fields = {
        **LEAD_PRESET.mapping["lead_fields"],
        "userId": {"@path": "$.traits.plan"},
        "anonymousId": {"@path": "$.userId"},
        "phone": {"@path": "$.traits.nested"},  # an object: not sent
        "title": {"@path": "$.traits.blank"},  # a blank string: not sent
    }
    harness = keep(harness_for(marketo, [lead_mapping(lead_fields=fields)]))
    (sent,) = harness.send([identify(firstName="Ada", plan="pro", nested={"a": 1}, blank=" ")])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert body_of(marketo, 0)["input"] == [
        {"email": "ada@example.com", "firstName": "Ada", "anonymousId": "u-1", "userId": "pro"}
    ]


def test_the_lookup_field_is_configurable(keep: Keep, marketo: FakeMarketo) -> None:
    fields = {**LEAD_PRESET.mapping["lead_fields"], "userId": {"@path": "$.userId"}}
    harness = keep(harness_for(marketo, [lead_mapping(lookup_field="userId", lead_fields=fields)]))
    (sent,) = harness.send([identify(None, firstName="Ada")])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert body_of(marketo, 0)["lookupField"] == "userId"
    assert marketo.leads_by("userId")["u-1"]["firstName"] == "Ada"


def test_a_lookup_field_given_per_event_is_one_call_per_lookup_field(
    keep: Keep, marketo: FakeMarketo
) -> None:
    fields = {**LEAD_PRESET.mapping["lead_fields"], "userId": {"@path": "$.userId"}}
    by = {"@if": {"exists": {"@path": "$.traits.email"}, "then": "email", "else": "userId"}}
    harness = keep(harness_for(marketo, [lead_mapping(lookup_field=by, lead_fields=fields)]))
    sent = harness.send([identify(), identify(None, firstName="Bo"), identify("cy@example.com")])

    assert {s.outcome.code for s in sent} == {""}
    bodies = [body_of(marketo, n) for n in range(2)]
    assert [(b["lookupField"], len(b["input"])) for b in bodies] == [("email", 2), ("userId", 1)]


def test_an_event_without_the_lookup_value_fails_without_a_call(
    keep: Keep, marketo: FakeMarketo
) -> None:
    sent = keep(harness_for(marketo)).send([identify(None, firstName="Ada"), identify()])

    assert kinds([s.result for s in sent]) == [AttemptOutcome.FAILED, AttemptOutcome.DELIVERED]
    assert sent[0].outcome.code == "missing_lookup_field"
    assert sent[0].outcome.reason.startswith("Message Rejected: Marketo finds leads by email")
    assert sent[0].result.exchanges == []
    assert len(body_of(marketo, 0)["input"]) == 1


def test_leads_go_in_batches_of_300(keep: Keep, marketo: FakeMarketo) -> None:
    events = [identify(f"p{n}@example.com") for n in range(301)]
    sent = keep(harness_for(marketo)).send(events)

    assert {judge(s.outcome).kind for s in sent} == {AttemptOutcome.DELIVERED}
    assert [len(body_of(marketo, n)["input"]) for n in range(2)] == [300, 1]
    assert len(marketo.leads) == 301


def test_skipped_records_get_their_own_outcomes(keep: Keep, marketo: FakeMarketo) -> None:
    marketo.skip_leads["busy@example.com"] = "1029"
    fields = {**LEAD_PRESET.mapping["lead_fields"], "colour": {"@path": "$.traits.colour"}}
    harness = keep(harness_for(marketo, [lead_mapping(lead_fields=fields)]))
    sent = harness.send(
        [
            identify("ok@example.com"),
            identify("bad@example.com", colour="red"),
            identify("busy@example.com"),
        ]
    )

    assert kinds([s.result for s in sent]) == [
        AttemptOutcome.DELIVERED,
        AttemptOutcome.FAILED,
        AttemptOutcome.RETRY,
    ]
    assert sent[1].outcome.code == "marketo_1006"
    assert "Field 'colour' not found" in sent[1].outcome.reason
    assert sent[1].outcome.reason.startswith("Marketo skipped the record: 1006")
    assert sent[2].outcome.code == "marketo_1029"
    assert len(marketo.rest_requests) == 1
    # Each event keeps the calls it went in.
    assert [len(s.result.exchanges) for s in sent] == [2, 2, 2]
