"""Where the write key may come from, and what a missing or unknown key gets."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from switchboard.sources.models import Source
from switchboard.sources.service import create_source, current_key, rotate_key
from tests.conftest import SourceRef
from tests.ingest.stored import stored_events, stored_rejections

EVENT = {"userId": "u1", "event": "Signed Up"}


def basic(user: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(user.encode()).decode()}


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == code
    assert body["message"] and body["error"]


def test_key_in_body_only(client: httpx.Client, engine: Engine, source: SourceRef) -> None:
    # analytics-python 2.3.x and analytics-node 2.x-3.0.x send no Authorization header.
    response = client.post(
        "/v1/batch", json={"writeKey": source.write_key, "batch": [{"type": "track", **EVENT}]}
    )
    assert response.status_code == 200
    assert stored_events(engine)[0]["source_id"] == source.id


@pytest.mark.parametrize("colon", [True, False], ids=["with-colon", "without-colon"])
def test_basic_auth_user_name(
    client: httpx.Client, engine: Engine, source: SourceRef, colon: bool
) -> None:
    user = source.write_key + (":" if colon else "")
    response = client.post("/v1/track", json=EVENT, headers=basic(user))
    assert response.status_code == 200
    assert len(stored_events(engine)) == 1


def test_bearer_with_key_in_body(client: httpx.Client, engine: Engine, source: SourceRef) -> None:
    response = client.post(
        "/v1/track",
        json={**EVENT, "writeKey": source.write_key},
        headers={"authorization": "Bearer some-oauth-token"},
    )
    assert response.status_code == 200
    assert len(stored_events(engine)) == 1


def test_per_event_key_inside_a_batch(
    client: httpx.Client, engine: Engine, session: Session, source: SourceRef
) -> None:
    second = create_source(session, "Second")
    session.commit()
    batch = [
        {"type": "track", **EVENT, "writeKey": source.write_key},
        {"type": "track", **EVENT, "writeKey": current_key(second).key},
    ]
    assert (
        client.post(
            "/v1/b",
            content=httpx.Request("POST", "/", json={"batch": batch}).content,
            headers={"content-type": "text/plain"},
        ).status_code
        == 200
    )
    assert [e["source_id"] for e in stored_events(engine)] == [source.id, second.id]
    assert all("writeKey" not in e["payload"] for e in stored_events(engine))


def test_unknown_per_event_key_rejects_only_that_event(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    batch = [
        {"type": "track", **EVENT, "writeKey": source.write_key},
        {"type": "track", **EVENT, "writeKey": "not-a-key"},
    ]
    assert client.post("/v1/batch", json={"batch": batch}).status_code == 200
    assert len(stored_events(engine)) == 1
    [rejected] = stored_rejections(engine)
    assert "write key" in rejected["reason"]


def test_missing_key_is_401(client: httpx.Client, engine: Engine) -> None:
    assert_error(client.post("/v1/track", json=EVENT), 401, "missing_write_key")
    assert_error(
        client.post("/v1/batch", json={"batch": [{"type": "track", **EVENT}]}),
        401,
        "missing_write_key",
    )
    assert stored_events(engine) == []


def test_unknown_key_is_401(client: httpx.Client, engine: Engine) -> None:
    assert_error(
        client.post("/v1/track", json={**EVENT, "writeKey": "nope"}), 401, "invalid_write_key"
    )
    assert_error(
        client.post("/v1/track", json=EVENT, headers=basic("nope:")), 401, "invalid_write_key"
    )
    assert stored_events(engine) == []


def test_malformed_basic_header_is_401(client: httpx.Client) -> None:
    response = client.post("/v1/track", json=EVENT, headers={"authorization": "Basic %%%"})
    assert_error(response, 401, "invalid_authorization")


def test_rotated_key_works_through_the_grace_period_only(
    client: httpx.Client, engine: Engine, session: Session, source: SourceRef
) -> None:
    found = session.get(Source, source.id)
    assert found is not None
    fresh = rotate_key(session, found, timedelta(hours=1))
    session.commit()
    for key in (source.write_key, fresh.key):
        assert client.post("/v1/track", json=EVENT, headers=basic(key)).status_code == 200
    rotate_key(session, found, timedelta(0))
    session.commit()
    assert_error(
        client.post("/v1/track", json=EVENT, headers=basic(source.write_key)),
        401,
        "invalid_write_key",
    )
    assert len(stored_events(engine)) == 2


def test_disabled_source_is_refused(
    client: httpx.Client, engine: Engine, session: Session, source: SourceRef
) -> None:
    found = session.get(Source, source.id)
    assert found is not None
    found.enabled = False
    session.commit()
    assert_error(
        client.post("/v1/track", json=EVENT, headers=basic(source.write_key)),
        403,
        "source_disabled",
    )
    assert stored_events(engine) == []
