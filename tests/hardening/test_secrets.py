"""Destination secrets never show: not in logs, answers, error messages or the database.

A real `switchboard serve` (embedded: SQLite, jobs in the process) delivers to an endpoint
that answers 500 with the whole request echoed back, so every secret the request carried is
in the answer too; the reasons, attempts and logs built from it must still hide them.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.destinations.masking import MASK
from switchboard.integrations.webhook import sign
from switchboard.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.dashboard.conftest import add_user, login_http
from tests.fakes.sink import Sink
from tests.hardening.endpoints import Endpoint
from tests.hardening.processes import SECRET, base_env, running_stack, wait_until
from tests.servers import running_server

#: Server processes, the CLI and a live server (the dashboard's login over loopback).
pytestmark = pytest.mark.system

SHARED = "shh-shared-secret-4f1d9a"
API_KEY = "api-key-value-77c2e0b1"
URL_PASSWORD = "url-password-5b9e"
QUERY_TOKEN = "query-token-a3d8c6"
PARTNER = "partner-header-value-0d4e"
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
    # Reads mask the secret settings, custom header values and the URL's password and token.
    shown = [s for s in (SHARED, API_KEY, URL_PASSWORD, QUERY_TOKEN) if any(s in t for t in reads)]
    assert shown == []
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


def _allowed(settings: Settings) -> Settings:
    """The test settings, delivering to loopback (the sink) with the jobs in the process."""
    return settings.model_copy(
        update={"allow_private_destinations": True, "scheduler_tick_seconds": 0.2}
    )


def _hook_url(sink: Sink, path: str = "/h") -> str:
    """The sink's URL with a password and a ?token= in it."""
    return (
        sink.url.replace("127.0.0.1", f"user:{URL_PASSWORD}@127.0.0.1")
        + f"{path}?token={QUERY_TOKEN}&page=2"
    )


def _create_hook(admin: httpx.Client, sink: Sink) -> tuple[dict[str, Any], httpx.Response]:
    """A source and a webhook destination with a secret in a header, a URL and a setting."""
    source: dict[str, Any] = admin.post("/api/v1/sources", json={"name": "s"}).json()
    created = admin.post(
        "/api/v1/destinations",
        json={
            "name": "hook",
            "type": "webhook",
            "source_ids": [source["id"]],
            "settings": {
                "urls": [_hook_url(sink)],
                "headers": {"X-Api-Key": API_KEY, "X-Partner": PARTNER},
                "shared_secret": SHARED,
            },
        },
    )
    assert created.status_code == 201, created.text
    return source, created


def _cli_list(settings: Settings) -> str:
    """`switchboard destinations list --json`, run as an operator would, on the same data."""
    env = {
        **os.environ,
        "SWITCHBOARD_DATABASE_URL": settings.database_url,
        "SWITCHBOARD_SECRET_KEY": settings.secret_key.get_secret_value()
        if settings.secret_key
        else "",
    }
    env.pop("SWITCHBOARD_REDIS_URL", None)
    listed = subprocess.run(
        [sys.executable, "-m", "switchboard.cli", "destinations", "list", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


class _FormReader(HTMLParser):
    """The fields a browser would submit from the form posting to `action`, as shown."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self._inside = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._inside = a.get("action") == self.action
        if not self._inside or ("name" not in a and tag != "option"):
            return
        if tag == "input" and a.get("type") != "checkbox":
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "input" and "checked" in a:
            self.fields.append((a["name"], a.get("value", "on")))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _form_as_shown(html: str, action: str) -> dict[str, list[str]]:
    reader = _FormReader(action)
    reader.feed(html)
    form: dict[str, list[str]] = {}
    for name, value in reader.fields:
        form.setdefault(name, []).append(value)
    return form


def test_credentials_in_headers_and_urls_are_masked_on_every_read(settings: Settings) -> None:
    """The admin API (create, list, one), the dashboard's settings page and the CLI show a
    custom header's value, a URL's password and its ?token= as MASK, like `shared_secret`."""
    allowed = _allowed(settings)
    add_user(allowed.database_url)
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        Sink() as sink,
        running_server(allowed) as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=10) as admin,
    ):
        _, created = _create_hook(admin, sink)
        destination_id = created.json()["id"]
        one = admin.get(f"/api/v1/destinations/{destination_id}")
        listed = admin.get("/api/v1/destinations")
        dashboard = login_http(server.url)
        page = dashboard.http.get(f"/destinations/{destination_id}")
        dashboard.http.close()
        cli = _cli_list(allowed)
    reads = {
        "POST answer": created.text,
        "GET one": one.text,
        "GET list": listed.text,
        "dashboard page": page.text,
        "CLI list": cli,
    }
    assert page.status_code == 200
    exposed = {
        place: [s for s in (API_KEY, PARTNER, URL_PASSWORD, QUERY_TOKEN, SHARED) if s in text]
        for place, text in reads.items()
    }
    assert exposed == {place: [] for place in reads}
    # What is shown instead: the names, and the URL around its hidden parts.
    masked_url = _hook_url(sink).replace(URL_PASSWORD, MASK).replace(QUERY_TOKEN, MASK)
    for shown in (one.json(), listed.json()[0], json.loads(cli)[0]):
        assert shown["settings"]["headers"] == {"X-Api-Key": MASK, "X-Partner": MASK}
        assert shown["settings"]["urls"] == [masked_url]
        assert shown["settings"]["shared_secret"] == MASK
    form = _form_as_shown(page.text, f"/destinations/{destination_id}")
    assert form["setting.headers"] == [f"X-Api-Key = {MASK}\nX-Partner = {MASK}"]
    assert form["setting.urls"] == [masked_url]
    assert form["setting.shared_secret"] == [""]  # write-only: not even the mask


def test_saving_a_masked_read_back_keeps_the_secrets_and_the_webhook_still_sends_them(
    settings: Settings,
) -> None:
    """A read sent back as is (API), or with a URL edited around its hidden parts, and the
    dashboard's settings form submitted as shown: each MASK keeps the stored value, and the
    endpoint receives the real header values, password and token."""
    allowed = _allowed(settings)
    add_user(allowed.database_url)
    headers = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    with (
        Sink() as sink,
        running_server(allowed) as server,
        httpx.Client(base_url=server.url, headers=headers, timeout=10) as admin,
    ):
        source, created = _create_hook(admin, sink)
        path = f"/api/v1/destinations/{created.json()['id']}"
        shown = admin.get(path).json()["settings"]
        # The API: the masked read back, a URL moved to another path, one more header.
        edited = {
            **shown,
            "urls": [shown["urls"][0].replace("/h?", "/moved?")],
            "headers": {**shown["headers"], "X-New": "fresh"},
            "timeout_seconds": 3,
        }
        saved = admin.patch(path, json={"settings": edited})
        assert saved.status_code == 200, saved.text
        assert saved.json()["settings"]["headers"] == {
            "X-Api-Key": MASK,
            "X-Partner": MASK,
            "X-New": MASK,
        }
        # A MASK that stands for nothing stored is refused, not saved as asterisks.
        unknown = admin.patch(path, json={"settings": {"headers": {"X-Other": MASK}}})
        assert unknown.status_code == 422, unknown.text
        assert "headers.X-Other" in unknown.text
        elsewhere = admin.patch(
            path, json={"settings": {"urls": [f"http://user:{MASK}@192.0.2.1/h"]}}
        )
        assert elsewhere.status_code == 422, elsewhere.text
        assert "urls.0" in elsewhere.text
        # The dashboard: the settings form submitted exactly as the page shows it.
        dashboard = login_http(server.url)
        page = dashboard.http.get(f"/destinations/{created.json()['id']}")
        form = _form_as_shown(page.text, f"/destinations/{created.json()['id']}")
        posted = dashboard.http.post(f"/destinations/{created.json()['id']}", data=form)
        dashboard.http.close()
        assert posted.status_code == 303, posted.text
        # A real event, delivered by the embedded jobs to the sink.
        sent = httpx.post(
            server.url + "/v1/track",
            json={"userId": "u", "event": "Signed Up"},
            auth=(source["write_key"], ""),
        )
        assert sent.status_code == 200
        [received] = sink.wait_for(1, timeout=15)
        after = admin.get(path).text
    assert received.path == f"/moved?token={QUERY_TOKEN}&page=2"
    assert received.header("x-api-key") == API_KEY
    assert received.header("x-partner") == PARTNER
    assert received.header("x-new") == "fresh"
    basic = base64.b64encode(f"user:{URL_PASSWORD}".encode()).decode()
    assert received.header("authorization") == f"Basic {basic}"
    assert received.header("x-signature") == sign(SHARED, received.body)
    for text in (saved.text, unknown.text, elsewhere.text, page.text, after):
        assert [s for s in (API_KEY, PARTNER, URL_PASSWORD, QUERY_TOKEN, SHARED) if s in text] == []
