"""A write key ingests into its own source and nothing more: it reads nothing, anywhere."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
from sqlalchemy import Engine

from tests.ingest.stored import stored_events


def _operations(admin: httpx.Client) -> list[tuple[str, str]]:
    document = admin.get("/api/v1/openapi.json").json()
    found = [("GET", "/api/v1/openapi.json")]
    for path, methods in document["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        found += [(method.upper(), concrete) for method in methods]
    return found


def test_a_write_key_opens_no_admin_route(client: httpx.Client, admin: httpx.Client) -> None:
    source = admin.post("/api/v1/sources", json={"name": "web"}).json()
    key = source["write_key"]
    basic = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    operations = _operations(admin)
    assert len(operations) >= 15
    for method, path in operations:
        for header in (basic, f"Bearer {key}", f"Basic {key}"):
            response = client.request(method, path, headers={"Authorization": header}, json={})
            assert response.status_code == 401, (method, path, header[:6], response.text)
            assert key not in response.text


def test_a_write_key_stores_only_into_its_own_source(
    client: httpx.Client, admin: httpx.Client, engine: Engine
) -> None:
    mine = admin.post("/api/v1/sources", json={"name": "mine"}).json()
    theirs = admin.post("/api/v1/sources", json={"name": "theirs"}).json()
    # Every way a body might try to name another source.
    attempts: list[dict[str, Any]] = [
        {"userId": "u", "event": "E", "source_id": theirs["id"], "messageId": "a"},
        {"userId": "u", "event": "E", "sourceId": theirs["id"], "messageId": "b"},
        {"userId": "u", "event": "E", "context": {"source_id": theirs["id"]}, "messageId": "c"},
        {"userId": "u", "event": "E", "projectId": theirs["id"], "messageId": "d"},
    ]
    for body in attempts:
        response = client.post("/v1/track", json=body, auth=(mine["write_key"], ""))
        assert response.status_code == 200
    # An item naming the other source's id in the batch envelope, too.
    response = client.post(
        "/v1/batch",
        json={
            "writeKey": mine["write_key"],
            "source_id": theirs["id"],
            "batch": [{"type": "track", "userId": "u", "event": "E", "messageId": "e"}],
        },
    )
    assert response.status_code == 200
    assert {(e["source_id"], e["message_id"]) for e in stored_events(engine)} == {
        (mine["id"], m) for m in "abcde"
    }
    # The settings document of one key says nothing of another source.
    settings = client.get(f"/v1/projects/{mine['write_key']}/settings")
    assert theirs["write_key"] not in settings.text
