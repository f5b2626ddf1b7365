"""Every tracking route, the batch forms, /v1/m, settings for analytics.js, and CORS."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from switchboard.settings import Settings
from switchboard.spec.calls import CALL_TYPES
from tests.conftest import SourceRef
from tests.ingest.stored import stored_events
from tests.inprocess import running_app

FIELDS: dict[str, dict[str, object]] = {
    "identify": {"traits": {"email": "a@example.com"}},
    "track": {"event": "Order Completed", "properties": {"revenue": 9.5}},
    "page": {"name": "Home"},
    "screen": {"name": "Main"},
    "group": {"groupId": "g1", "traits": {"plan": "pro"}},
    "alias": {"previousId": "anon-1"},
}


@pytest.mark.parametrize("short", [False, True], ids=["long", "short"])
def test_each_single_route_stores_its_call_type(
    client: httpx.Client, engine: Engine, source: SourceRef, short: bool
) -> None:
    for call_type in CALL_TYPES:
        path = f"/v1/{call_type[0] if short else call_type}"
        body = {"writeKey": source.write_key, "userId": "u1", **FIELDS[call_type]}
        response = client.post(path, json=body)
        assert response.status_code == 200, response.text
        assert response.json() == {"success": True}
        assert response.headers["content-type"] == "application/json"
    events = stored_events(engine)
    assert [e["type"] for e in events] == list(CALL_TYPES)
    assert events[1]["event_name"] == "Order Completed"
    assert events[1]["payload"]["properties"] == {"revenue": 9.5}
    assert events[4]["payload"]["groupId"] == "g1"
    assert events[5]["payload"]["previousId"] == "anon-1"


def test_the_route_decides_the_type_of_a_single_call(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    body = {"writeKey": source.write_key, "type": "identify", "userId": "u", "event": "E"}
    assert client.post("/v1/track", json=body).status_code == 200
    assert stored_events(engine)[0]["type"] == "track"


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/b", "/v1/import"])
def test_batch_routes(client: httpx.Client, engine: Engine, source: SourceRef, path: str) -> None:
    batch = [{"type": t, "userId": "u1", **FIELDS[t]} for t in CALL_TYPES]
    response = client.post(path, json={"writeKey": source.write_key, "batch": batch})
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert sorted(e["type"] for e in stored_events(engine)) == sorted(CALL_TYPES)


def test_metrics_route_is_a_no_op(client: httpx.Client, engine: Engine) -> None:
    response = client.post(
        "/v1/m",
        content=b'{"series":[{"type":"Counter","metric":"x","value":1}]}',
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 200
    assert stored_events(engine) == []


def test_trailing_slash_is_served_not_redirected(
    client: httpx.Client, engine: Engine, source: SourceRef
) -> None:
    body = {"writeKey": source.write_key, "userId": "u", "event": "E"}
    response = client.post("/v1/track/", json=body)
    assert response.status_code == 200
    assert len(stored_events(engine)) == 1


def test_wrong_method_and_unknown_route_are_json_errors(client: httpx.Client) -> None:
    wrong = client.get("/v1/track")
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"
    missing = client.post("/v1/nope", json={})
    assert missing.status_code == 404
    assert missing.json()["success"] is False


@pytest.mark.parametrize("prefix", ["/v1/projects", "/projects"])
def test_analytics_js_settings(client: httpx.Client, source: SourceRef, prefix: str) -> None:
    response = client.get(
        f"{prefix}/{source.write_key}/settings", headers={"origin": "https://shop.example"}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    settings = response.json()
    segment = settings["integrations"]["Segment.io"]
    host = client.base_url.host
    port = client.base_url.port
    assert segment["apiKey"] == source.write_key
    assert segment["apiHost"] == f"{host}:{port}/v1"  # no scheme: the browser adds protocol
    assert segment["protocol"] == "http"  # without it the browser posts to https and fails
    assert settings["metrics"]["sampleRate"] == 0
    assert list(settings["integrations"]) == ["Segment.io"]


def test_settings_for_unknown_key_is_404(client: httpx.Client) -> None:
    response = client.get("/v1/projects/no-such-key/settings")
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_settings_honour_forwarded_proto_only_from_a_trusted_proxy(
    database_url: str, source: SourceRef
) -> None:
    headers = {"x-forwarded-proto": "https", "host": "cdp.example.com"}
    path = f"/v1/projects/{source.write_key}/settings"
    untrusted = Settings(database_url=database_url, write_key_cache_seconds=0)
    with running_app(untrusted) as app, app.client() as http:
        doc = http.get(path, headers=headers).json()
    assert doc["integrations"]["Segment.io"]["protocol"] == "http"
    trusted = Settings(
        database_url=database_url,
        write_key_cache_seconds=0,
        trusted_proxies="127.0.0.1/32",
    )
    with running_app(trusted) as app, app.client() as http:
        doc = http.get(path, headers=headers).json()
    assert doc["integrations"]["Segment.io"]["protocol"] == "https"
    assert doc["integrations"]["Segment.io"]["apiHost"] == "cdp.example.com/v1"


def test_preflight_needs_no_auth_and_allows_the_sdk_headers(client: httpx.Client) -> None:
    response = client.options(
        "/v1/t",
        headers={
            "origin": "https://shop.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,x-retry-count,content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "x-retry-count", "content-type"):
        assert header in allowed
    assert "POST" in response.headers["access-control-allow-methods"]


def test_post_answers_carry_cors_headers(client: httpx.Client, source: SourceRef) -> None:
    response = client.post(
        "/v1/t",
        content=f'{{"writeKey":"{source.write_key}","anonymousId":"a","event":"E"}}',
        headers={"origin": "https://shop.example", "content-type": "text/plain"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://shop.example"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_context_ip_comes_from_the_peer_or_a_trusted_proxy_only(
    database_url: str, engine: Engine, source: SourceRef
) -> None:
    body = {"userId": "u", "event": "E"}
    spoofed = {"x-forwarded-for": "198.51.100.7, 10.0.0.2"}
    plain = Settings(database_url=database_url, write_key_cache_seconds=0)
    with running_app(plain) as app, app.client() as http:
        http.post("/v1/track", json=body, headers=spoofed, auth=(source.write_key, ""))
    behind_proxy = Settings(
        database_url=database_url,
        write_key_cache_seconds=0,
        trusted_proxies="127.0.0.1, 10.0.0.0/8",
    )
    with running_app(behind_proxy) as app, app.client() as http:
        http.post("/v1/track", json=body, headers=spoofed, auth=(source.write_key, ""))
    first, second = stored_events(engine)
    assert first["payload"]["context"]["ip"] == "127.0.0.1"  # the header is not believed
    assert second["payload"]["context"]["ip"] == "198.51.100.7"  # nearest untrusted hop
