"""Destination secrets never show: not in logs, answers, error messages or the database.

A real `switchboard serve` (embedded: SQLite, jobs in the process) delivers to an endpoint
that answers 500 with the whole request echoed back, so every secret the request carried is
in the answer too; the reasons, attempts and logs built from it must still hide them.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.hardening.endpoints import Endpoint
from tests.hardening.processes import SECRET, base_env, running_stack, wait_until

SHARED = "shh-shared-secret-4f1d9a"
API_KEY = "api-key-value-77c2e0b1"
URL_PASSWORD = "url-password-5b9e"
QUERY_TOKEN = "query-token-a3d8c6"
WRONG = "typo-secret-in-a-refused-body-91e2"
SECRETS = [SHARED, API_KEY, URL_PASSWORD, QUERY_TOKEN, WRONG, SECRET, ADMIN_TOKEN]


def _database_text(path: Path) -> str:
    """Every value of every table, as text: what a stolen database file would show."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(
            repr(row) for table in tables for row in conn.execute(f'SELECT * FROM "{table}"')
        )


def test_secrets_stay_hidden(tmp_path: Path, sqlite_template: Path) -> None:
    database = tmp_path / "secrets.db"
    shutil.copy(sqlite_template, database)
    env = base_env(f"sqlite:///{database}", None)
    seen: list[str] = []
    with Endpoint("echo") as hook, running_stack(env, tmp_path / "stack") as stack:
        admin = stack.admin()
        source = stack.source()
        url = hook.url.replace("127.0.0.1", f"user:{URL_PASSWORD}@127.0.0.1")
        created = admin.post(
            "/api/v1/destinations",
            json={
                "name": "echo",
                "type": "webhook",
                "source_ids": [source["id"]],
                "settings": {
                    "urls": [f"{url}?token={QUERY_TOKEN}"],
                    "shared_secret": SHARED,
                    "headers": {"X-Api-Key": API_KEY},
                },
                "retry": {"give_up_after": 1},
            },
        )
        assert created.status_code == 201, created.text
        destination = created.json()
        # Refused settings: the error names the problem, not the secret sent with it.
        for settings in (
            {"urls": ["ftp://nowhere"], "shared_secret": WRONG},
            {"urls": [hook.url], "shared_secret": {"value": WRONG}},
            {"urls": [hook.url], "headers": {"X-Api-Key": [WRONG]}},
        ):
            refused = admin.patch(
                f"/api/v1/destinations/{destination['id']}", json={"settings": settings}
            )
            assert refused.status_code == 422, refused.text
            seen.append(refused.text)
        sent = httpx.post(
            stack.url + "/v1/track",
            json={"userId": "u", "event": "Signed Up"},
            auth=(source["write_key"], ""),
        )
        assert sent.status_code == 200

        def deliveries() -> list[dict[str, Any]]:
            data: list[dict[str, Any]] = admin.get("/api/v1/deliveries").json()["data"]
            return data

        wait_until(
            lambda: bool(deliveries()) and deliveries()[0]["status"] == "failed",
            20,
            "the delivery to fail",
        )
        delivery = deliveries()[0]
        event = admin.get(f"/api/v1/events/{delivery['event_id']}")
        tester = admin.post(
            f"/api/v1/destinations/{destination['id']}/test",
            json={"event": {"type": "track", "userId": "u", "event": "Test"}},
        )
        reads = [created.text] + [
            admin.get(path).text
            for path in ("/api/v1/destinations", f"/api/v1/destinations/{destination['id']}")
        ]
        for path in (
            f"/api/v1/destinations/{destination['id']}/delivery-stats",
            "/api/v1/deliveries",
        ):
            seen.append(admin.get(path).text)
        seen += [event.text, tester.text]
        admin.close()
        logs = stack.logs()
        echoed = hook.requests

    assert echoed >= 2, "the endpoint was not called"
    # The echo carried every secret back: what was stored shows the exchange, redacted.
    assert "[redacted]" in event.text
    assert all("**********" in text for text in reads)
    # Reads mask the secret settings; custom headers and URL credentials: see the xfail below.
    assert [text for text in reads if SHARED in text] == []
    exposed = {
        secret: [
            place
            for place, text in [("logs", logs), ("database", _database_text(database))]
            + [(f"answer {n}", text) for n, text in enumerate(seen)]
            if secret in text
        ]
        for secret in SECRETS
    }
    assert exposed == {secret: [] for secret in SECRETS}


@pytest.mark.xfail(
    reason="destination reads mask SecretStr settings only: a credential in a custom header "
    "(X-Api-Key) or in a URL (password, ?token=) is shown as saved; the webhook settings "
    "model would need to mask them (reported, not fixed here)",
    strict=True,
)
def test_credentials_in_headers_and_urls_are_masked_on_read(admin: httpx.Client) -> None:
    source = admin.post("/api/v1/sources", json={"name": "s"}).json()
    created = admin.post(
        "/api/v1/destinations",
        json={
            "name": "hook",
            "type": "webhook",
            "source_ids": [source["id"]],
            "settings": {
                "urls": [f"http://user:{URL_PASSWORD}@127.0.0.1:9/h?token={QUERY_TOKEN}"],
                "headers": {"X-Api-Key": API_KEY},
            },
        },
    )
    assert created.status_code == 201, created.text
    shown = admin.get(f"/api/v1/destinations/{created.json()['id']}").text
    assert [s for s in (API_KEY, URL_PASSWORD, QUERY_TOKEN) if s in shown] == []
