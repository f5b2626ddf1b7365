"""/api/v1/events: filters, newest first, cursor paging, one event; rejected events."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import SourceRef


def send(client: httpx.Client, key: str, *events: Any) -> None:
    response = client.post("/v1/batch", json={"writeKey": key, "batch": list(events)})
    assert response.status_code == 200


def test_filters_and_paging(admin: httpx.Client, client: httpx.Client, source: SourceRef) -> None:
    other = admin.post("/api/v1/sources", json={"name": "other"}).json()
    send(
        client,
        source.write_key,
        *[
            {
                "type": "track",
                "userId": f"u{i % 3}",
                "event": "Viewed" if i % 2 else "Bought",
                "messageId": f"m{i}",
                "properties": {"sku": f"sku-{i}"},
            }
            for i in range(12)
        ],
        {"type": "identify", "anonymousId": "anon-1", "messageId": "ident"},
    )
    send(client, other["write_key"], {"type": "track", "userId": "u0", "event": "Bought"})

    everything = admin.get("/api/v1/events").json()
    assert len(everything["data"]) == 14
    ids = [e["id"] for e in everything["data"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert everything["next_after_id"] is None

    mine = admin.get("/api/v1/events", params={"source_id": source.id}).json()["data"]
    assert len(mine) == 13
    bought = admin.get("/api/v1/events", params={"source_id": source.id, "event": "Bought"}).json()[
        "data"
    ]
    assert {e["event"] for e in bought} == {"Bought"} and len(bought) == 6
    identifies = admin.get("/api/v1/events", params={"type": "identify"}).json()["data"]
    assert [e["message_id"] for e in identifies] == ["ident"]
    by_user = admin.get("/api/v1/events", params={"user_id": "u1"}).json()["data"]
    assert {e["user_id"] for e in by_user} == {"u1"} and len(by_user) == 4
    by_anon = admin.get("/api/v1/events", params={"user_id": "anon-1"}).json()["data"]
    assert [e["message_id"] for e in by_anon] == ["ident"]
    searched = admin.get("/api/v1/events", params={"q": "sku-7"}).json()["data"]
    assert [e["message_id"] for e in searched] == ["m7"]

    pages: list[str] = []
    cursor = None
    for _ in range(10):  # bounded
        params: dict[str, str | int] = {"source_id": source.id, "limit": 5}
        if cursor is not None:
            params["after_id"] = cursor
        page = admin.get("/api/v1/events", params=params).json()
        pages.extend(e["message_id"] for e in page["data"])
        cursor = page["next_after_id"]
        if cursor is None:
            break
    assert len(pages) == 13 and len(set(pages)) == 13


def test_read_one_event(admin: httpx.Client, client: httpx.Client, source: SourceRef) -> None:
    send(
        client, source.write_key, {"type": "page", "userId": "u", "name": "Docs", "messageId": "p"}
    )
    [listed] = admin.get("/api/v1/events").json()["data"]
    event = admin.get(f"/api/v1/events/{listed['id']}").json()
    assert event["type"] == "page"
    assert event["event"] == "Docs"
    assert event["payload"]["messageId"] == "p"
    assert event["source_id"] == source.id
    assert admin.get("/api/v1/events/999999").status_code == 404


def test_bad_filter_is_400(admin: httpx.Client) -> None:
    response = admin.get("/api/v1/events", params={"type": "purchase"})
    assert response.status_code == 400
    assert "type must be one of" in response.json()["detail"]


def test_rejected_events_with_reasons(
    admin: httpx.Client, client: httpx.Client, source: SourceRef
) -> None:
    send(client, source.write_key, {"type": "track", "userId": "u", "messageId": "bad"})
    [rejected] = admin.get("/api/v1/rejected-events", params={"source_id": source.id}).json()[
        "data"
    ]
    assert rejected["message_id"] == "bad"
    assert "event is required" in rejected["reason"]
