"""POST /api/v1/destinations/{id}/test: the real adapter, every exchange, nothing stored."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import Engine, text

from tests.conftest import ADMIN_TOKEN, SourceRef
from tests.fakes.sink import Reply, Sink
from tests.servers import running_server


def test_the_tester_sends_for_real_and_stores_nothing(
    settings: object, source: SourceRef, engine: Engine
) -> None:
    from switchboard.settings import Settings

    assert isinstance(settings, Settings)
    allowed = settings.model_copy(update={"allow_private_destinations": True})
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        Sink(Reply(503, body="busy"), default=Reply(200, body="ok")) as sink,
        running_server(allowed) as server,
        httpx.Client(base_url=server.url, headers=headers) as admin,
    ):
        dest = admin.post(
            "/api/v1/destinations",
            json={
                "name": "hook",
                "type": "webhook",
                "settings": {"urls": [sink.url], "shared_secret": "tester-secret-1"},
                "source_ids": [source.id],
            },
        ).json()
        event = {"type": "track", "userId": "u1", "event": "Order Completed"}
        first = admin.post(f"/api/v1/destinations/{dest['id']}/test", json={"event": event})
        second = admin.post(f"/api/v1/destinations/{dest['id']}/test", json={"event": event})
        bad = admin.post(
            f"/api/v1/destinations/{dest['id']}/test", json={"event": {"type": "track"}}
        )
        skipped = admin.post(
            f"/api/v1/destinations/{dest['id']}/test",
            json={"event": {**event, "integrations": {"All": False}}},
        )
        assert len(sink.requests) == 2
        assert json.loads(sink.requests[0].body)["event"] == "Order Completed"
    assert first.status_code == 200
    retry = first.json()
    assert retry["outcome"]["kind"] == "retry"
    assert retry["outcome"]["code"] == "http_503"
    [exchange] = retry["exchanges"]
    assert exchange["status"] == 503
    assert exchange["method"] == "POST"
    assert "tester-secret-1" not in json.dumps(retry)
    assert second.json()["outcome"]["kind"] == "delivered"
    assert bad.json()["outcome"]["kind"] == "rejected"
    assert "userId or anonymousId" in bad.json()["outcome"]["reason"]
    assert skipped.json()["outcome"]["kind"] == "skipped"
    assert skipped.json()["exchanges"] == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM attempts")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == 0
