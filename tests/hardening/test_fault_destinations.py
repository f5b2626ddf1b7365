"""Destinations that hang, reset the connection or answer garbage: each failure is bounded
by its timeout and classified for retry, the healthy destination beside them gets every
event at once, and each faulty one gets every event once it recovers."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from tests.hardening.endpoints import Endpoint
from tests.hardening.processes import base_env, report, running_stack, stored_ids, wait_until
from tests.hardening.services import PrivatePostgres, PrivateRedis

pytestmark = pytest.mark.system

EVENTS = 60
FAULTS = {"hang": "timeout", "reset": "connection_error", "garbage": "connection_error"}


def test_faulty_destinations(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    env = base_env(private_postgres.fresh_database(), private_redis.url)
    endpoints = {name: Endpoint(name) for name in FAULTS} | {"healthy": Endpoint("ok")}
    try:
        with running_stack(env, tmp_path, workers=1) as stack, stack.admin() as admin:
            source = stack.source()
            ids = {
                name: stack.webhook(name, source["id"], endpoint.url, timeout_seconds=1)["id"]
                for name, endpoint in endpoints.items()
            }

            def deliveries(name: str) -> list[dict[str, Any]]:
                page = admin.get(
                    "/api/v1/deliveries", params={"destination_id": ids[name], "limit": 500}
                )
                data: list[dict[str, Any]] = page.json()["data"]
                return data

            sent = [f"m{n}" for n in range(EVENTS)]
            for start in range(0, EVENTS, 20):
                batch = [
                    {"type": "track", "userId": "u", "event": "E", "messageId": m}
                    for m in sent[start : start + 20]
                ]
                response = admin.post(
                    stack.url + "/v1/batch",
                    json={"writeKey": source["write_key"], "batch": batch},
                )
                assert response.status_code == 200

            # The healthy destination is not held up by the three failing beside it.
            wait_until(
                lambda: endpoints["healthy"].ids() == set(sent), 20, "the healthy destination"
            )

            def all_retrying(name: str) -> bool:
                found = deliveries(name)
                return len(found) == EVENTS and all(d["status"] == "retrying" for d in found)

            def all_received(name: str) -> bool:
                return endpoints[name].ids() == set(sent)

            for name, code in FAULTS.items():
                wait_until(
                    functools.partial(all_retrying, name), 20, f"{name}: every delivery retrying"
                )
                codes = {d["code"] for d in deliveries(name)}
                assert codes == {code}, f"{name}: {codes}"
                event = admin.get(f"/api/v1/events/{deliveries(name)[0]['event_id']}").json()
                attempt = next(d for d in event["deliveries"] if d["destination_id"] == ids[name])[
                    "attempt_log"
                ][0]
                # Bounded by the 1 s timeout (or much less), whatever the endpoint does.
                assert attempt["duration_ms"] < 3000, attempt
            faults_seen = {name: endpoints[name].requests for name in FAULTS}

            for name in FAULTS:
                endpoints[name].set_mode("ok")
            for name in FAULTS:
                wait_until(
                    functools.partial(all_received, name),
                    45,
                    f"{name}: every event delivered after it recovered",
                )
            statuses = {name: {d["status"] for d in deliveries(name)} for name in endpoints}
            stored = stored_ids(env["SWITCHBOARD_DATABASE_URL"], set(sent))
    finally:
        for endpoint in endpoints.values():
            endpoint.close()

    assert statuses == {name: {"delivered"} for name in endpoints}
    assert stored == set(sent)
    for name in endpoints:
        report(
            f"destination {name}",
            acknowledged=EVENTS,
            stored=len(stored),
            delivered=len(endpoints[name].ids() & set(sent)),
            requests_while_failing=faults_seen.get(name, 0),
            lost=EVENTS - len(endpoints[name].ids() & set(sent)),
        )
