"""/api/v1/destinations/{id}/mappings: presets on create, and refusals that say where a
mapping is wrong — always a 4xx, and nothing saved."""

from __future__ import annotations

import httpx

from tests.conftest import SourceRef


def _webhook(admin: httpx.Client, source: SourceRef) -> str:
    created = admin.post(
        "/api/v1/destinations",
        json={
            "name": "hook",
            "type": "webhook",
            "settings": {"urls": ["https://hooks.example.com/in"]},
            "source_ids": [source.id],
        },
    )
    assert created.status_code == 201, created.text
    return f"/api/v1/destinations/{created.json()['id']}/mappings"


def test_a_new_destination_has_its_presets_and_a_mapping_round_trips(
    admin: httpx.Client, source: SourceRef
) -> None:
    base = _webhook(admin, source)
    [preset] = admin.get(base).json()
    assert (preset["name"], preset["action"], preset["enabled"]) == (
        "Send every event",
        "send",
        True,
    )
    made = admin.post(
        base,
        json={"name": "Orders", "action": "send", "trigger": 'event = "Order Completed"',
              "mapping": {"data": {"id": {"@path": "$.properties.order_id"}}}},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    path = f"{base}/{made.json()['id']}"
    off = admin.patch(path, json={"enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert admin.get(path).json()["trigger"] == 'event = "Order Completed"'
    assert admin.delete(path).status_code == 204
    assert admin.get(path).status_code == 404


def test_refusals_name_the_problem_and_save_nothing(admin: httpx.Client, source: SourceRef) -> None:
    base = _webhook(admin, source)
    cases = [
        ({"name": "x", "action": "nope"}, "action"),
        ({"name": "x", "action": "send", "trigger": 'type = "track'}, "trigger"),
        ({"name": "x", "action": "send", "mapping": {"data": {"@path": 3}}}, "mapping/data/@path"),
        ({"name": "x", "action": "send", "mapping": {}}, "mapping/data"),
        ({"name": "x", "action": "send", "mapping": {"data": "x" * 70_000}}, "mapping"),
        ({"name": "x", "action": "send", "mapping": {"data": {}, "batch_size": "lots"}},
         "mapping/batch_size"),
    ]  # fmt: skip
    for body, where in cases:
        refused = admin.post(base, json=body)
        assert refused.status_code == 422, (body, refused.text)
        detail = refused.json()["detail"]
        assert detail["errors"][0]["location"] == where, (body, detail)
    trigger_error = admin.post(base, json=cases[1][0]).json()["detail"]["errors"][0]
    assert trigger_error["position"] == 7
    assert len(admin.get(base).json()) == 1  # only the preset
    [preset] = admin.get(base).json()
    bad_update = admin.patch(f"{base}/{preset['id']}", json={"trigger": "("})
    assert bad_update.status_code == 422
    assert admin.get(f"{base}/{preset['id']}").json()["trigger"] == preset["trigger"]
    missing = admin.get("/api/v1/destinations/999/mappings")
    assert missing.status_code == 404
