"""/api/v1/destination-types and /api/v1/destinations: validation, secrets, connections."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine, text

from tests.conftest import SourceRef
from tests.inprocess import InProcessApp

HOOK = {"urls": ["https://hooks.example.com/in"], "shared_secret": "s3cr3t-value-123"}


def create(admin: httpx.Client, source: SourceRef, **body: object) -> httpx.Response:
    payload: dict[str, object] = {
        "name": "hook",
        "type": "webhook",
        "settings": HOOK,
        "source_ids": [source.id],
    }
    payload.update(body)
    return admin.post("/api/v1/destinations", json=payload)


def test_types_describe_calls_and_settings_schema(admin: httpx.Client) -> None:
    types = {t["type"]: t for t in admin.get("/api/v1/destination-types").json()}
    webhook = types["webhook"]
    assert webhook["display_name"] == "Webhooks"
    assert set(webhook["supported_calls"]) == {
        "identify",
        "track",
        "page",
        "screen",
        "group",
        "alias",
    }
    assert "urls" in webhook["settings_schema"]["properties"]


def test_secrets_are_encrypted_at_rest_and_masked_on_every_read(
    admin: httpx.Client, source: SourceRef, engine: Engine
) -> None:
    created = create(admin, source)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["settings"]["shared_secret"] == "**********"
    assert body["source_ids"] == [source.id]
    assert body["display_name"] == "Webhooks"
    for read in (
        admin.get(f"/api/v1/destinations/{body['id']}").json(),
        admin.get("/api/v1/destinations").json()[0],
    ):
        assert read["settings"]["shared_secret"] == "**********"
        assert "s3cr3t" not in str(read)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT settings_encrypted FROM destinations")).scalar_one()
    assert "s3cr3t" not in stored
    assert "hooks.example.com" not in stored  # the whole document is sealed


def test_update_keeps_a_secret_sent_back_masked(
    admin: httpx.Client, source: SourceRef, asgi_app: InProcessApp
) -> None:
    dest = create(admin, source).json()
    shown = dest["settings"]
    shown["urls"] = ["https://hooks.example.com/v2"]
    updated = admin.patch(f"/api/v1/destinations/{dest['id']}", json={"settings": shown})
    assert updated.status_code == 200, updated.text
    assert updated.json()["settings"]["urls"] == ["https://hooks.example.com/v2"]
    # The stored secret is still the original: open it with the server's own key.
    from switchboard.destinations.models import Destination

    with asgi_app.app.runtime.sessions() as session:
        row = session.get(Destination, dest["id"])
        assert row is not None
        assert (
            asgi_app.app.runtime.box.open(row.settings_encrypted)["shared_secret"]
            == HOOK["shared_secret"]
        )


def test_bad_input_is_a_clear_4xx(admin: httpx.Client, source: SourceRef) -> None:
    bad_settings = create(admin, source, settings={"urls": ["ftp://files.example.com/x"]})
    assert bad_settings.status_code == 422
    assert "urls" in bad_settings.text
    unknown_type = create(admin, source, type="carrier-pigeon")
    assert unknown_type.status_code == 400
    assert "carrier-pigeon" in unknown_type.json()["detail"]
    unknown_source = create(admin, source, source_ids=[999])
    assert unknown_source.status_code == 400
    assert "999" in unknown_source.json()["detail"]
    assert create(admin, source).status_code == 201
    duplicate = create(admin, source)
    assert duplicate.status_code == 409
    assert admin.get("/api/v1/destinations/999").status_code == 404


def test_private_addresses_need_the_operator_s_consent(
    admin: httpx.Client, source: SourceRef
) -> None:
    for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest"):
        response = create(admin, source, settings={"urls": [url]})
        assert response.status_code == 422, url
        assert "SWITCHBOARD_ALLOW_PRIVATE_DESTINATIONS" in response.text


def test_connections_filters_and_limits_round_trip(admin: httpx.Client, source: SourceRef) -> None:
    other = admin.post("/api/v1/sources", json={"name": "other"}).json()
    dest = create(
        admin,
        source,
        filters={"allow_types": ["track"], "deny_events": ["Noise"]},
        rate_limit_per_second=50,
        max_concurrency=2,
        retry={"give_up_after": 600},
    ).json()
    assert dest["filters"]["allow_types"] == ["track"]
    assert dest["rate_limit_per_second"] == 50
    assert dest["max_concurrency"] == 2
    assert dest["retry"] == {"give_up_after": 600}
    moved = admin.patch(
        f"/api/v1/destinations/{dest['id']}",
        json={"source_ids": [other["id"]], "enabled": False, "max_concurrency": None},
    ).json()
    assert moved["source_ids"] == [other["id"]]
    assert moved["enabled"] is False
    assert moved["max_concurrency"] is None
    assert admin.delete(f"/api/v1/destinations/{dest['id']}").status_code == 204
    assert admin.get("/api/v1/destinations").json() == []


def test_destination_routes_require_the_token(client: httpx.Client) -> None:
    for method, path in [
        ("GET", "/api/v1/destination-types"),
        ("GET", "/api/v1/destinations"),
        ("POST", "/api/v1/destinations"),
        ("PATCH", "/api/v1/destinations/1"),
        ("DELETE", "/api/v1/destinations/1"),
        ("POST", "/api/v1/destinations/1/replay"),
        ("GET", "/api/v1/destinations/1/delivery-stats"),
        ("GET", "/api/v1/deliveries"),
    ]:
        assert client.request(method, path).status_code == 401, (method, path)
