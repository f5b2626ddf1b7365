"""send_custom_activity against a fake Marketo: the lead found first (or its cached id), then
the activities, 300 per call, one outcome each."""

from __future__ import annotations

import json
from typing import Any

from switchboard.deliveries.status import AttemptOutcome
from tests.fakes.marketo import FakeMarketo
from tests.fakes.sink import Reply
from tests.integrations.marketo.conftest import Keep
from tests.integrations.marketo.support import (
    LEAD_PRESET,
    ORDER_TYPE,
    body_of,
    harness_for,
    identify,
    order_mapping,
    track,
)
from tests.integrations.verdicts import judge


def paths(marketo: FakeMarketo) -> list[str]:
    return [r.path.removeprefix("/rest/v1/") for r in marketo.rest_requests]


def test_the_lead_is_found_or_created_then_the_activity_added(
    keep: Keep, marketo: FakeMarketo
) -> None:
    props: dict[str, Any] = {
        "orderId": "o-1",
        "total": 30.5,
        "cart": {"items": 2},
        "coupons": ["A"],
    }
    mapping = order_mapping(
        attributes={
            "orderTotal": {"@path": "$.properties.total"},
            "itemCount": {"@path": "$.properties.cart.items"},
        }
    )
    (sent,) = keep(harness_for(marketo, [mapping])).send([track(**props)])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert body_of(marketo, 0) == {
        "action": "createOrUpdate",
        "lookupField": "email",
        "input": [{"email": "ada@example.com"}],
    }
    lead_id = marketo.leads_by("email")["ada@example.com"]["id"]
    assert paths(marketo) == ["leads.json", "activities/external.json"]
    assert body_of(marketo, 1) == {
        "input": [
            {
                "leadId": lead_id,
                "activityDate": "2024-05-01T12:00:00.250000+00:00",
                "activityTypeId": ORDER_TYPE,
                "primaryAttributeValue": "o-1",
                "attributes": [
                    {"apiName": "itemCount", "value": 2},
                    {"apiName": "orderTotal", "value": 30.5},
                ],
            }
        ]
    }
    assert len(marketo.activities) == 1
    assert len(sent.result.exchanges) == 3  # token, lead, activity


def test_objects_and_lists_go_as_json_text_and_the_primary_value_as_text(
    keep: Keep, marketo: FakeMarketo
) -> None:
    with FakeMarketo(activity_types={ORDER_TYPE: frozenset({"cart", "coupons"})}) as other:
        mapping = order_mapping(
            attributes={
                "cart": {"@path": "$.properties.cart"},
                "coupons": {"@path": "$.properties.coupons"},
                "gone": {"@path": "$.properties.missing"},
            }
        )
        harness = keep(harness_for(other, [mapping]))
        (sent,) = harness.send([track(orderId=42, cart={"items": 2}, coupons=["A", "B"])])

        assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
        [activity] = other.activities
    assert activity["primaryAttributeValue"] == "42"
    assert activity["attributes"] == [
        {"apiName": "cart", "value": '{"items":2}'},
        {"apiName": "coupons", "value": '["A","B"]'},
    ]


def test_identify_and_track_of_one_lead_upsert_it_once(keep: Keep, marketo: FakeMarketo) -> None:
    sent = keep(harness_for(marketo)).send([identify(), track(), track(email="bob@example.com")])

    assert {judge(s.outcome).kind for s in sent} == {AttemptOutcome.DELIVERED}
    assert paths(marketo) == ["leads.json", "leads.json", "activities/external.json"]
    assert body_of(marketo, 1)["input"] == [{"email": "bob@example.com"}]
    assert len(body_of(marketo, 2)["input"]) == 2


def test_a_known_lead_id_is_cached_so_later_activities_skip_the_lookup(
    keep: Keep, marketo: FakeMarketo
) -> None:
    harness = keep(harness_for(marketo))
    harness.send([track(), track(), track(email="bob@example.com")])
    (sent,) = harness.send([track()])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    # One lookup for both of Ada's first events and Bob's, none for Ada's next one.
    assert paths(marketo) == [
        "leads.json",
        "activities/external.json",
        "activities/external.json",
    ]
    assert body_of(marketo, 0)["input"] == [
        {"email": "ada@example.com"},
        {"email": "bob@example.com"},
    ]
    ada = marketo.leads_by("email")["ada@example.com"]["id"]
    assert body_of(marketo, 2)["input"][0]["leadId"] == ada
    assert len(sent.result.exchanges) == 1  # the activity call alone


def test_the_cache_is_per_instance_and_lookup_field(keep: Keep, marketo: FakeMarketo) -> None:
    keep(harness_for(marketo)).send([track()])
    by_user = order_mapping(lookup_field="userId", lookup_value={"@path": "$.userId"})
    harness = keep(harness_for(marketo, [by_user]))
    harness.adapter.cache = keep(harness_for(marketo)).adapter.cache  # one process's cache
    harness.send([track()])

    assert [body_of(marketo, n).get("lookupField") for n in (0, 2)] == ["email", "userId"]


def test_a_cached_lead_marketo_no_longer_knows_is_looked_up_again(
    keep: Keep, marketo: FakeMarketo
) -> None:
    harness = keep(harness_for(marketo))
    harness.send([track()])
    unknown = {"status": "skipped", "errors": [{"code": "1004", "message": "Lead not found"}]}
    marketo.script(Reply(200, body=json.dumps({"success": True, "result": [unknown]})))
    (sent,) = harness.send([track()])

    assert judge(sent.outcome).kind is AttemptOutcome.DELIVERED
    assert paths(marketo)[2:] == [
        "activities/external.json",
        "leads.json",
        "activities/external.json",
    ]
    assert len(sent.result.exchanges) == 3
    assert len(marketo.activities) == 2


def test_an_unknown_lead_that_was_just_looked_up_fails(keep: Keep, marketo: FakeMarketo) -> None:
    harness = keep(harness_for(marketo))
    unknown = {"status": "skipped", "errors": [{"code": "1004", "message": "Lead not found"}]}
    harness.send([identify("other@example.com")])  # the token is fetched and cached
    found = {"id": 1001, "status": "updated"}
    marketo.script(Reply(200, body=json.dumps({"success": True, "result": [found]})))
    marketo.script(Reply(200, body=json.dumps({"success": True, "result": [unknown]})))
    (sent,) = harness.send([track()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (AttemptOutcome.FAILED, "marketo_1004")
    assert paths(marketo)[1:] == ["leads.json", "activities/external.json"]


def test_an_unmapped_track_event_is_routed_nowhere(keep: Keep, marketo: FakeMarketo) -> None:
    harness = keep(harness_for(marketo))
    assert harness.send([track("Signed Up")]) == []
    assert marketo.requests == []


def test_without_the_primary_value_the_event_is_rejected_naming_the_field(
    keep: Keep, marketo: FakeMarketo
) -> None:
    sent = keep(harness_for(marketo)).send([track(total=3), track(orderId="  ", total=3)])

    for one in sent:
        assert (judge(one.outcome).kind, one.outcome.code) == (
            AttemptOutcome.FAILED,
            "payload_invalid",
        )
        assert one.outcome.reason == (
            "Message Rejected: The root value is missing the required field "
            "'primary_attribute_value'."
        )
    assert marketo.requests == []


def test_without_a_lookup_value_or_a_date_the_event_fails_without_a_call(
    keep: Keep, marketo: FakeMarketo
) -> None:
    no_email = {**track(), "context": {}}
    no_date = {**track(), "timestamp": None}
    sent = keep(harness_for(marketo)).send([no_email, no_date])

    assert [s.outcome.code for s in sent] == ["missing_lookup_field", "invalid_timestamp"]
    assert sent[0].outcome.reason.startswith("Message Rejected: Marketo finds leads by email")
    assert marketo.requests == []


def test_a_skipped_activity_fails_with_marketos_reason(keep: Keep, marketo: FakeMarketo) -> None:
    (sent,) = keep(harness_for(marketo, [order_mapping(activity_type_id=9)])).send([track()])

    assert (judge(sent.outcome).kind, sent.outcome.code) == (
        AttemptOutcome.FAILED,
        "marketo_1013",
    )
    assert "Activity type not found" in sent.outcome.reason


def test_a_lead_that_cannot_be_created_fails_its_activities(
    keep: Keep, marketo: FakeMarketo
) -> None:
    marketo.skip_leads["ada@example.com"] = "1007"
    sent = keep(harness_for(marketo)).send([track(), track()])

    assert [s.outcome.code for s in sent] == ["marketo_1007"] * 2
    assert len(marketo.rest_requests) == 1


def test_activities_go_in_batches_of_300(keep: Keep, marketo: FakeMarketo) -> None:
    events = [track(email=f"p{n}@example.com") for n in range(301)]
    sent = keep(harness_for(marketo, [LEAD_PRESET, order_mapping()])).send(events)

    assert {judge(s.outcome).kind for s in sent} == {AttemptOutcome.DELIVERED}
    assert [(r.path, len(json.loads(r.body)["input"])) for r in marketo.rest_requests] == [
        ("/rest/v1/leads.json", 300),
        ("/rest/v1/activities/external.json", 300),
        ("/rest/v1/leads.json", 1),
        ("/rest/v1/activities/external.json", 1),
    ]
