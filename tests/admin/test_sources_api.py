"""/api/v1/sources: CRUD, key rotation, and the admin token."""

from __future__ import annotations

import httpx


def test_admin_routes_require_the_token(client: httpx.Client) -> None:
    for method, path in [
        ("GET", "/api/v1/sources"),
        ("POST", "/api/v1/sources"),
        ("GET", "/api/v1/sources/1"),
        ("PATCH", "/api/v1/sources/1"),
        ("DELETE", "/api/v1/sources/1"),
        ("POST", "/api/v1/sources/1/rotate-key"),
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/events/1"),
        ("GET", "/api/v1/rejected-events"),
    ]:
        for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": "Basic eDo="}):
            response = client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers)


def test_create_list_read_update_delete(admin: httpx.Client, client: httpx.Client) -> None:
    created = admin.post("/api/v1/sources", json={"name": "iOS app"})
    assert created.status_code == 201
    source = created.json()
    assert source["name"] == "iOS app"
    assert source["enabled"] is True
    assert len(source["write_key"]) >= 32
    assert source["created_at"]

    assert [s["id"] for s in admin.get("/api/v1/sources").json()] == [source["id"]]
    assert admin.get(f"/api/v1/sources/{source['id']}").json()["write_key"] == source["write_key"]

    updated = admin.patch(f"/api/v1/sources/{source['id']}", json={"name": "iOS", "enabled": False})
    assert updated.status_code == 200
    assert updated.json()["name"] == "iOS"
    assert updated.json()["enabled"] is False

    event = {"userId": "u", "event": "E"}
    refused = client.post("/v1/track", json=event, auth=(source["write_key"], ""))
    assert refused.status_code == 403

    assert admin.delete(f"/api/v1/sources/{source['id']}").status_code == 204
    assert admin.get(f"/api/v1/sources/{source['id']}").status_code == 404
    gone = client.post("/v1/track", json=event, auth=(source["write_key"], ""))
    assert gone.status_code == 401


def test_rotate_key_keeps_the_old_key_through_the_grace_period(
    admin: httpx.Client, client: httpx.Client
) -> None:
    source = admin.post("/api/v1/sources", json={"name": "web"}).json()
    old = source["write_key"]
    rotated = admin.post(f"/api/v1/sources/{source['id']}/rotate-key", json={"grace_seconds": 600})
    assert rotated.status_code == 200
    new = rotated.json()["write_key"]
    assert new != old
    keys = {k["key"]: k for k in rotated.json()["write_keys"]}
    assert keys[old]["expires_at"] is not None
    assert keys[new]["expires_at"] is None
    for key in (old, new):
        response = client.post("/v1/track", json={"userId": "u", "event": "E"}, auth=(key, ""))
        assert response.status_code == 200

    at_once = admin.post(f"/api/v1/sources/{source['id']}/rotate-key", json={"grace_seconds": 0})
    newest = at_once.json()["write_key"]
    assert [k["key"] for k in at_once.json()["write_keys"]] == [newest]
    stale = client.post("/v1/track", json={"userId": "u", "event": "E"}, auth=(new, ""))
    assert stale.status_code == 401


def test_bad_input_is_a_clear_4xx(admin: httpx.Client) -> None:
    assert admin.post("/api/v1/sources", json={}).status_code == 422
    assert admin.post("/api/v1/sources", json={"name": ""}).status_code == 422
    assert admin.post("/api/v1/sources", content=b"{oops").status_code == 422
    assert admin.patch("/api/v1/sources/999", json={"name": "x"}).status_code == 404
    missing = admin.post("/api/v1/sources/999/rotate-key")
    assert missing.status_code == 404
    assert "999" in missing.json()["detail"]


def test_api_schema_is_behind_the_token_too(client: httpx.Client, admin: httpx.Client) -> None:
    for path in ("/docs", "/openapi.json", "/api/v1/openapi.json"):
        assert client.get(path).status_code in (401, 404)
    schema = admin.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/sources" in schema.json()["paths"]
