"""Acknowledged means durable: a 200 comes after the commit, and commits are shared."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import httpx
from sqlalchemy import Engine

from tests.conftest import SourceRef
from tests.ingest.stored import stored_events
from tests.inprocess import PEER, InProcessApp
from tests.servers import RunningServer


def test_every_200_is_already_stored_when_it_arrives(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    for i in range(20):
        body = {"userId": "u", "event": "E", "messageId": f"m{i}"}
        assert client.post("/v1/track", json=body, auth=(source.write_key, "")).status_code == 200
        # No waiting: the row must be visible to another connection right now.
        assert len(stored_events(engine)) == i + 1


def test_concurrent_requests_share_commits(
    asgi_app: InProcessApp, engine: Engine, source: SourceRef
) -> None:
    requests = 300

    async def fire() -> list[int]:
        # All at once on the app's own loop, as a server's connections would arrive.
        transport = httpx.ASGITransport(app=cast(Any, asgi_app.app), client=PEER)
        async with httpx.AsyncClient(transport=transport, base_url=asgi_app.url) as http:
            answers = await asyncio.gather(
                *(
                    http.post(
                        "/v1/track",
                        json={"userId": "u", "event": "E", "messageId": f"c{i}"},
                        auth=(source.write_key, ""),
                    )
                    for i in range(requests)
                )
            )
        return [a.status_code for a in answers]

    writer = asgi_app.app.writer
    commits_before = writer.commits
    statuses = asgi_app.loop.run(fire(), timeout=120)
    assert statuses == [200] * requests
    assert len(stored_events(engine)) == requests
    commits = writer.commits - commits_before
    assert commits < requests, f"{commits} commits for {requests} requests: no group commit"


def test_a_database_failure_is_a_503_not_a_false_200(
    server: RunningServer, engine: Engine, source: SourceRef
) -> None:
    # Make the events table refuse writes; the API must not acknowledge what it lost.
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE events RENAME TO events_away")
    try:
        response = httpx.post(
            server.url + "/v1/track",
            json={"userId": "u", "event": "E"},
            auth=(source.write_key, ""),
        )
        assert response.status_code == 503
        assert response.json()["code"] == "unavailable"
        assert response.headers["retry-after"]
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE events_away RENAME TO events")
    ok = httpx.post(
        server.url + "/v1/track", json={"userId": "u", "event": "E"}, auth=(source.write_key, "")
    )
    assert ok.status_code == 200
