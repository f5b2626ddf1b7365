"""Per-event validation: a bad event in a batch is rejected alone; a bad single call is a 400."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import SourceRef
from tests.ingest.stored import stored_events, stored_rejections


def test_bad_events_in_a_batch_are_rejected_alone_and_the_rest_accepted(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    batch = [
        {"type": "track", "userId": "u1", "event": "Good", "messageId": "good-1"},
        {"type": "track", "userId": "u1", "messageId": "no-event"},
        {"type": "identify", "messageId": "no-ids", "traits": {"a": 1}},
        {"type": "purchase", "userId": "u1", "messageId": "bad-type"},
        "not an object",
        {"type": "group", "anonymousId": "a1", "groupId": "g1", "messageId": "good-2"},
    ]
    response = client.post("/v1/batch", json={"writeKey": source.write_key, "batch": batch})
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert [e["message_id"] for e in stored_events(engine)] == ["good-1", "good-2"]
    rejected = {r["message_id"]: r for r in stored_rejections(engine)}
    assert "event is required" in rejected["no-event"]["reason"]
    assert "userId or anonymousId" in rejected["no-ids"]["reason"]
    assert "type must be one of" in rejected["bad-type"]["reason"]
    assert rejected["no-event"]["source_id"] == source.id
    assert rejected["no-ids"]["payload"]["traits"] == {"a": 1}
    assert len(rejected) == 4  # the non-object has no messageId but is kept too


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/track", {"userId": "u"}, "event"),
        ("/v1/t", {"event": "E"}, "userId or anonymousId"),
        ("/v1/group", {"userId": "u"}, "groupId"),
        ("/v1/alias", {"userId": "u"}, "previousId"),
        ("/v1/identify", {"userId": "u", "traits": "vip"}, "traits"),
        ("/v1/page", {"userId": "u", "timestamp": "last tuesday"}, "timestamp"),
    ],
)
def test_a_bad_single_call_is_400_naming_the_field(
    client: httpx.Client,
    engine: Engine,
    source: SourceRef,
    path: str,
    body: dict[str, object],
    field: str,
) -> None:
    response = client.post(path, json=body, auth=(source.write_key, ""))
    assert response.status_code == 400
    document = response.json()
    assert document["code"] == "invalid_event"
    assert field in document["message"]
    assert stored_events(engine) == []
    [rejected] = stored_rejections(engine)
    assert field in rejected["reason"]


def test_lenient_shapes_real_sdks_send_are_accepted(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    batch = [
        # analytics-python: explicit nulls
        {"type": "page", "userId": "u", "anonymousId": None, "name": None, "category": None},
        # numbers where strings are expected
        {"type": "identify", "userId": 12345, "traits": None},
        # analytics-node: groupId-only group with an anonymousId
        {"type": "group", "anonymousId": "a", "groupId": 77},
        # alias without anonymousId
        {"type": "alias", "userId": "new", "previousId": "old"},
        # extra keys
        {"type": "track", "userId": "u", "event": "E", "_metadata": {"bundled": []}, "options": {}},
    ]
    response = client.post("/v1/batch", json={"writeKey": source.write_key, "batch": batch})
    assert response.status_code == 200
    events = stored_events(engine)
    assert len(events) == 5
    assert stored_rejections(engine) == []
    assert events[1]["user_id"] == "12345"
    assert events[2]["payload"]["groupId"] == "77"
    assert events[4]["payload"]["_metadata"] == {"bundled": []}
