"""The optional per-source ingestion rate limit: 429 with Retry-After in whole seconds,
nothing stored for a refused request, other sources unaffected."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import Engine

from tests.ingest.stored import stored_events


def _track(client: httpx.Client, key: str, message_id: str) -> httpx.Response:
    return client.post(
        "/v1/track",
        json={"userId": "u", "event": "E", "messageId": message_id},
        auth=(key, ""),
    )


@pytest.mark.system  # real time: seconds of waiting for tokens, which a loaded machine skews
def test_a_rate_limited_source_is_told_when_to_retry(
    client: httpx.Client, admin: httpx.Client, engine: Engine
) -> None:
    limited = admin.post("/api/v1/sources", json={"name": "busy", "rate_limit_per_second": 10})
    assert limited.status_code == 201
    assert limited.json()["rate_limit_per_second"] == 10
    limited_source = limited.json()
    free = admin.post("/api/v1/sources", json={"name": "free"}).json()
    assert free["rate_limit_per_second"] is None
    key = limited_source["write_key"]

    answers = [_track(client, key, f"a{n}") for n in range(10)]
    assert [a.status_code for a in answers] == [200] * 10  # one second of burst
    admitted = {f"a{n}" for n in range(10)}
    # Tokens trickle back meanwhile (10 a second), so a slow machine may get one more in.
    for n in range(10, 14):
        refused = _track(client, key, f"a{n}")
        if refused.status_code != 200:
            break
        admitted.add(f"a{n}")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["code"] == "rate_limited"
    assert "10 events per second" in refused.json()["message"]
    # The unlimited source is not held back.
    assert all(_track(client, free["write_key"], f"f{n}").status_code == 200 for n in range(20))

    # A batch larger than the rate gets in, and the debt it leaves sets the wait.
    time.sleep(1.1)
    batch = [
        {"type": "track", "userId": "u", "event": "E", "messageId": f"b{n}"} for n in range(15)
    ]
    big = client.post("/v1/batch", json={"writeKey": key, "batch": batch})
    assert big.status_code == 200
    after = _track(client, key, "late")
    assert after.status_code == 429
    wait = after.headers["retry-after"]
    assert wait.isdigit() and 1 <= int(wait) <= 2, wait
    time.sleep(int(wait) + 0.1)
    assert _track(client, key, "on-time").status_code == 200

    # Removing the limit takes effect (the key cache is off in these tests).
    patched = admin.patch(
        f"/api/v1/sources/{limited_source['id']}", json={"rate_limit_per_second": None}
    )
    assert patched.json()["rate_limit_per_second"] is None
    assert all(_track(client, key, f"c{n}").status_code == 200 for n in range(20))

    stored = {
        e["message_id"] for e in stored_events(engine) if e["source_id"] == limited_source["id"]
    }
    expected = admitted | {f"b{n}" for n in range(15)} | {"on-time"}
    assert stored == expected | {f"c{n}" for n in range(20)}


def test_the_limit_is_checked_when_set(admin: httpx.Client) -> None:
    for bad in (0, -1, "fast", 10**9):
        answer = admin.post("/api/v1/sources", json={"name": "x", "rate_limit_per_second": bad})
        assert answer.status_code == 422, bad
