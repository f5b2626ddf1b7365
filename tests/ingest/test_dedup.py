"""Dedup: a messageId is stored once per source, whichever server process gets the retry."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from switchboard.settings import Settings
from switchboard.sources.service import create_source, current_key
from tests.conftest import SourceRef
from tests.ingest.stored import stored_events
from tests.inprocess import running_app


def batch(key: str, *ids: str) -> dict[str, object]:
    return {
        "writeKey": key,
        "batch": [{"type": "track", "userId": "u", "event": "E", "messageId": m} for m in ids],
    }


def test_a_resent_batch_is_stored_once(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    for _ in range(3):
        assert client.post("/v1/batch", json=batch(source.write_key, "a", "b")).status_code == 200
    assert client.post("/v1/batch", json=batch(source.write_key, "b", "c", "c")).status_code == 200
    assert [e["message_id"] for e in stored_events(engine)] == ["a", "b", "c"]


def test_retry_reaching_another_server_process_is_stored_once(
    settings: Settings, engine: Engine, source: SourceRef
) -> None:
    with (
        running_app(settings) as first,
        running_app(settings) as second,
        first.client() as to_first,
        second.client() as to_second,
    ):
        for http in (to_first, to_second, to_first):
            response = http.post("/v1/batch", json=batch(source.write_key, "x", "y"))
            assert response.status_code == 200
    assert [e["message_id"] for e in stored_events(engine)] == ["x", "y"]


def test_the_same_message_id_from_two_sources_is_two_events(
    client: httpx.Client, engine: Engine, session: Session, source: SourceRef
) -> None:
    other = create_source(session, "App")
    session.commit()
    for key in (source.write_key, current_key(other).key):
        assert client.post("/v1/batch", json=batch(key, "same")).status_code == 200
    assert len(stored_events(engine)) == 2
