"""POST /api/v1/destinations/{id}/test: the real adapter, every exchange, nothing stored."""

from __future__ import annotations

import json

from sqlalchemy import Engine, text

from tests.conftest import ADMIN_TOKEN, SourceRef
from tests.fakes import marketo as mkto
from tests.fakes import pendo as pnd
from tests.fakes import sfmc as mc
from tests.fakes.sink import Reply, Sink
from tests.inprocess import running_app


def test_the_tester_sends_for_real_and_stores_nothing(
    settings: object, source: SourceRef, engine: Engine
) -> None:
    from switchboard.settings import Settings

    assert isinstance(settings, Settings)
    allowed = settings.model_copy(update={"allow_private_destinations": True})
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        Sink(Reply(503, body="busy"), default=Reply(200, body="ok")) as sink,
        running_app(allowed) as app,
        app.client(headers=headers) as admin,
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


def test_the_tester_shows_every_vendor_exchange_in_order_redacted(
    settings: object, source: SourceRef, engine: Engine
) -> None:
    from switchboard.settings import Settings

    assert isinstance(settings, Settings)
    allowed = settings.model_copy(update={"allow_private_destinations": True})
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    order = {
        "type": "track",
        "userId": "u1",
        "event": "Order Completed",
        "properties": {"orderId": "o-1", "total": 30},
        "context": {"traits": {"email": "ada@example.com"}},
    }
    with (
        mkto.FakeMarketo(activity_types={100001: frozenset({"orderTotal"})}) as marketo,
        mc.FakeSFMC() as sfmc,
        pnd.FakePendo() as pendo,
        running_app(allowed) as app,
        app.client(headers=headers) as admin,
    ):
        vendors = {
            "marketo": {
                "base_url": marketo.url,
                "client_id": mkto.CLIENT_ID,
                "client_secret": mkto.CLIENT_SECRET,
                "activities": {
                    "Order Completed": {
                        "activity_type_id": 100001,
                        "primary_property": "orderId",
                        "attributes": {"total": "orderTotal"},
                    }
                },
            },
            "sfmc": {
                "auth_base_url": sfmc.url,
                "client_id": mc.CLIENT_ID,
                "client_secret": mc.CLIENT_SECRET,
                "track_events": {"Order Completed": mc.EVENT_DEFINITION},
            },
            "pendo": {"track_event_secret": pnd.TRACK_SECRET, "api_base_url": pendo.url},
        }
        answers = {}
        for vendor, vendor_settings in vendors.items():
            created = admin.post(
                "/api/v1/destinations",
                json={
                    "name": vendor,
                    "type": vendor,
                    "settings": vendor_settings,
                    "source_ids": [source.id],
                },
            )
            assert created.status_code == 201, created.text
            tested = admin.post(
                f"/api/v1/destinations/{created.json()['id']}/test", json={"event": order}
            )
            assert tested.status_code == 200, tested.text
            answers[vendor] = tested.json()
        marketo_token = (marketo.rest_requests[0].header("authorization") or "").split()[-1]
        sfmc_tokens = sfmc.issued_tokens
        assert len(marketo.activities) == 1
        assert len(sfmc.journey_entries) == 1
        assert len(pendo.events) == 1

    for vendor, answer in answers.items():
        assert answer["outcome"]["kind"] == "delivered", (vendor, answer["outcome"])
        for exchange in answer["exchanges"]:
            assert exchange["duration_ms"] >= 0
            assert isinstance(exchange["status"], int)
    # Marketo: the token, the lead found or created, the activity, in that order.
    marketo_exchanges = answers["marketo"]["exchanges"]
    assert [(e["method"], e["url"].removeprefix(marketo.url)) for e in marketo_exchanges] == [
        ("POST", "/identity/oauth/token"),
        ("POST", "/rest/v1/leads.json"),
        ("POST", "/rest/v1/activities/external.json"),
    ]
    assert json.loads(marketo_exchanges[1]["request_body"])["input"] == [
        {"email": "ada@example.com"}
    ]
    assert marketo_exchanges[2]["request_headers"]["authorization"] == "[redacted]"
    assert json.loads(marketo_exchanges[2]["response_body"])["result"][0]["status"] == "added"
    sfmc_exchanges = answers["sfmc"]["exchanges"]
    assert [e["url"].removeprefix(sfmc.url) for e in sfmc_exchanges] == [
        "/v2/token",
        "/interaction/v1/events",
    ]
    assert [e["status"] for e in sfmc_exchanges] == [200, 201]
    [pendo_exchange] = answers["pendo"]["exchanges"]
    assert pendo_exchange["url"] == f"{pendo.url}/data/track"
    assert pendo_exchange["request_headers"]["x-pendo-integration-key"] == "[redacted]"
    shown = json.dumps(answers)
    for secret in (
        mkto.CLIENT_SECRET,
        marketo_token,
        mc.CLIENT_SECRET,
        *sfmc_tokens,
        pnd.TRACK_SECRET,
    ):
        assert secret not in shown
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM deliveries")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM attempts")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM events")).scalar_one() == 0


def test_the_tester_judges_with_the_destinations_retry_overrides(
    settings: object, source: SourceRef
) -> None:
    from switchboard.settings import Settings

    assert isinstance(settings, Settings)
    allowed = settings.model_copy(update={"allow_private_destinations": True})
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        Sink(Reply(409, {"Retry-After": "30"}), Reply(503, {"Retry-After": "30"})) as sink,
        running_app(allowed) as app,
        app.client(headers=headers) as admin,
    ):
        dest = admin.post(
            "/api/v1/destinations",
            json={
                "name": "hook",
                "type": "webhook",
                "settings": {"urls": [sink.url]},
                "source_ids": [source.id],
                "retry": {"retry_statuses": [409]},
            },
        ).json()
        event = {"type": "track", "userId": "u1", "event": "Order Completed"}
        conflict = admin.post(f"/api/v1/destinations/{dest['id']}/test", json={"event": event})
        busy = admin.post(f"/api/v1/destinations/{dest['id']}/test", json={"event": event})
    assert conflict.json()["outcome"] == {
        "kind": "retry",
        "code": "http_409",
        "reason": "HTTP 409 Conflict",
        "retry_after": 30,
    }
    assert busy.json()["outcome"] == {
        "kind": "failed",
        "code": "http_503",
        "reason": "HTTP 503 Service Unavailable",
        "retry_after": None,
    }
