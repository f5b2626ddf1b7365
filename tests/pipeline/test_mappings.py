"""Mappings through the whole pipeline, on both backends: each enabled mapping whose trigger
matches gets the event as its own delivery, with the payload its field mapping makes; an event
no trigger matches is recorded with the reason; a mapping that cannot make a required field
from an event rejects that event, naming the field, and delivers the others."""

from __future__ import annotations

import json
from typing import Any

import pytest

from switchboard.deliveries.status import Status
from tests.fakes.sink import Sink
from tests.integrations.test_plugins import install_plugin
from tests.pipeline.conftest import Pipeline, track


@pytest.fixture(scope="session")
def echo_plugin() -> None:
    install_plugin()


def _only(pipeline: Pipeline, destination_id: int, *mappings: dict[str, Any]) -> list[int]:
    """Replace the destination's mappings (its presets) with `mappings`; their ids."""
    base = f"/api/v1/destinations/{destination_id}/mappings"
    for existing in pipeline.admin.get(base).json():
        assert pipeline.admin.delete(f"{base}/{existing['id']}").status_code == 204
    ids = []
    for mapping in mappings:
        created = pipeline.admin.post(base, json=mapping)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    return ids


@pytest.mark.system
def test_two_mappings_with_different_triggers_deliver_their_own_payloads(
    echo_plugin: None, pipeline: Pipeline
) -> None:
    with Sink() as sink:
        dest = pipeline.destination("echo", type="echo", settings={"url": sink.url})
        orders, people = _only(
            pipeline,
            dest["id"],
            {
                "name": "Orders",
                "action": "post",
                "trigger": 'type = "track" and event = "Order Completed"',
                "mapping": {
                    "body": {
                        "order": {"@path": "$.properties.order_id"},
                        "who": {"@path": "$.userId"},
                    }
                },
            },
            {
                "name": "People",
                "action": "post",
                "trigger": 'type = "identify" or event = "Signed Up"',
                "mapping": {"body": {"email": {"@path": "$.traits.email"}, "kind": "person"}},
            },
        )
        pipeline.send(
            track(1, event="Order Completed", properties={"order_id": "o-1"}),
            {"type": "identify", "userId": "u2", "messageId": "m2", "traits": {"email": "a@b.c"}},
            track(3, event="Viewed Page"),
        )
        rows = pipeline.wait_statuses({Status.DELIVERED: 2, Status.UNSUPPORTED: 1}, dest["id"])
        bodies = sorted((json.loads(r.body) for r in sink.requests), key=json.dumps)

    assert bodies == [{"email": "a@b.c", "kind": "person"}, {"order": "o-1", "who": "u1"}]
    by_mapping = {r.mapping_id: r for r in rows if r.status == Status.DELIVERED}
    assert set(by_mapping) == {orders, people}
    [unmatched] = [r for r in rows if r.status == Status.UNSUPPORTED]
    assert unmatched.reason == "no mapping's trigger matches this track event ('Orders', 'People')"
    assert unmatched.mapping_id == 0


@pytest.mark.system
def test_a_missing_required_field_fails_that_event_as_rejected_and_the_others_deliver(
    echo_plugin: None, pipeline: Pipeline
) -> None:
    with Sink() as sink:
        dest = pipeline.destination("echo", type="echo", settings={"url": sink.url})
        _only(
            pipeline,
            dest["id"],
            {
                "name": "Carts",
                "action": "post",
                "trigger": 'type = "track"',
                "mapping": {"body": {"@path": "$.properties.cart"}},
            },
        )
        pipeline.send(
            track(1, properties={"cart": {"items": 2}}),
            track(2, properties={}),
            track(3, properties={"cart": {"items": 5}}),
        )
        rows = pipeline.wait_statuses({Status.DELIVERED: 2, Status.FAILED: 1}, dest["id"])
        assert sorted(json.loads(r.body)["items"] for r in sink.requests) == [2, 5]
    [failed] = [r for r in rows if r.status == Status.FAILED]
    assert failed.code == "payload_invalid"
    assert failed.reason == "Message Rejected: The root value is missing the required field 'body'."
    assert failed.attempts == 1
    [attempt] = pipeline.attempts(failed.id)
    assert attempt.exchanges == []  # nothing was sent for it
